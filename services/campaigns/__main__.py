from services.campaigns.config import Settings
from services.campaigns.main import MIGRATIONS, start
from services.common.service_main import main

main(name="campaigns", settings_cls=Settings, start=start, migrations=MIGRATIONS)
