from services.accounts.commands import COMMANDS
from services.accounts.config import Settings
from services.accounts.main import MIGRATIONS, start
from services.common.service_main import main

main(name="accounts", settings_cls=Settings, start=start, migrations=MIGRATIONS, commands=COMMANDS)
