from services.common.service_main import main
from services.scheduler.config import Settings
from services.scheduler.main import MIGRATIONS, start

main(name="scheduler", settings_cls=Settings, start=start, migrations=MIGRATIONS)
