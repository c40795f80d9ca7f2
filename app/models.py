"""Every model module, imported once so that the metadata (and Alembic) sees all tables."""
from app.audit import models as audit  # noqa: F401
from app.audit import services as audit_hooks  # noqa: F401  (the session hook that records)
from app.catalogs import models as catalogs  # noqa: F401
from app.copies import models as copies  # noqa: F401
from app.core import models as core  # noqa: F401  (the shared file record)
from app.documents import models as documents  # noqa: F401
from app.dossiers import models as dossiers  # noqa: F401
from app.exchange import models as exchange  # noqa: F401
from app.news import models as news  # noqa: F401
from app.notifications import models as notifications  # noqa: F401
from app.org import models as org  # noqa: F401
from app.outgoing import models as outgoing  # noqa: F401
from app.request_forms import models as request_forms  # noqa: F401
from app.schedules import models as schedules  # noqa: F401
from app.security import models as security  # noqa: F401
from app.stats import models as stats  # noqa: F401
from app.stats import stamps as stats_stamps  # noqa: F401  (the hook that stamps the months)
from app.security import certificates  # noqa: F401  (trust anchors, personal certificates)
# Not a model: the outgoing domain tells the incoming page which drafts answer it.
from app.outgoing import replies as outgoing_replies  # noqa: F401,E402
