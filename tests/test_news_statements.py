"""The news page (/news/) reads what its rows show with the rows and counts its tabs once: the
statements of a page do not grow with the number of items (no query a row for each item's
cover image, author or unit; one statement for the tabs' counts and the list's), and the page
still shows what it did."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timefmt import utcnow
from app.news import services
from app.news.models import PUBLISHED, NewsItem
from tests.conftest import page_statements, user
from tests.test_news import category_id, png

CLERK, AGENCY_LEADER = "vanthu", "lanhdao"


@pytest.fixture
def publish(app, db_session):
    """publish(count, author) → [(id, title, cover image id)]: items on the portal now,
    featured (the top of its first page), each with a cover of its own; removed afterwards."""
    made = []

    def _publish(count, author="chuyenvien"):
        with app.test_request_context():
            writer = user(db_session, author)
            items = []
            for _ in range(count):
                colour = tuple(int(c, 16) * 16 for c in uuid.uuid4().hex[:3])
                cover = services.upload_image(db_session, writer, png(colour=colour), "bìa.png")
                item = NewsItem(
                    state=PUBLISHED, title=f"Tin đếm câu lệnh {uuid.uuid4().hex[:8]}",
                    summary="Tóm tắt tin.", body="<p>Nội dung tin.</p>",
                    category_id=category_id(db_session), cover_image=cover, featured=True,
                    published_at=utcnow() - timedelta(minutes=1), author_id=writer.id,
                    department_id=writer.department_id, publisher_id=writer.id)
                item.images.append(cover)
                db_session.add(item)
                items.append(item)
            db_session.commit()
            made.extend(item.id for item in items)
            return [(item.id, item.title, item.cover_image_id) for item in items]

    yield _publish
    db_session.rollback()
    for item in db_session.scalars(select(NewsItem).where(NewsItem.id.in_(made))):
        db_session.delete(item)  # with its links to its images
    db_session.commit()




def counts(statements):
    return [s for s in statements if s.startswith("SELECT") and "count(" in s
            and "FROM news_item" in s]


def test_the_portal_tab_reads_covers_with_the_items_and_counts_once(
        login_as, publish, statements):
    first = publish(2)
    client = login_as(CLERK)
    before, page = page_statements(client, "/news/", statements)
    assert all(title in page for _id, title, _cover in first)

    more = publish(3, author="vanthu")
    after, page = page_statements(client, "/news/", statements)
    assert len(after) == len(before), "\n".join(after)
    assert not [s for s in after if "FROM news_image WHERE news_image.id = ?" in s]
    assert len(counts(after)) == 1, counts(after)  # the four tabs and the list: one statement

    # the items still show, each with its own cover, and the tabs their counts
    for item_id, title, cover_id in first + more:
        item = re.search(rf'<li class="media news-portal-item[^"]*">(?:(?!</li>).)*'
                         rf'/news/{item_id}"(?:(?!</li>).)*</li>', page, re.S).group(0)
        assert title in item and f'src="/news/image/{cover_id}"' in item
    tabs = dict(re.findall(r'box-(\w+)"><a [^>]*>[^<]*<span class="badge">(\d+)</span>', page))
    assert set(tabs) == {"portal", "todo", "mine", "all"}
    assert int(tabs["portal"]) >= 5 and int(tabs["mine"]) >= 3


def test_the_other_tabs_read_authors_and_units_with_the_items(
        login_as, db_session, publish, statements):
    mine = publish(2, author=AGENCY_LEADER)
    theirs = publish(2)
    client = login_as(AGENCY_LEADER)
    for url in ("/news/?box=all", "/news/?box=mine",
                f"/news/?box=all&category={category_id(db_session)}"):
        seen, page = page_statements(client, url, statements)
        by_id = [s for s in seen if re.search(
            r"FROM (ab_user|department|news_category|news_image) WHERE \1\.id = \?", s)]
        assert len(by_id) <= 1 and all(s.startswith("SELECT ab_user.") for s in by_id), by_id
        assert len(counts(seen)) == 1, counts(seen)
        shown = mine if "mine" in url else mine + theirs
        for item_id, title, _cover in shown:
            row = re.search(rf'<tr class="news-row[^"]*">(?:(?!</tr>).)*/news/{item_id}"'
                            rf'(?:(?!</tr>).)*</tr>', page, re.S).group(0)
            assert title in row and "Đã xuất bản" in row
            assert ("Trần Quốc Đạt" in row) == ((item_id, title, _cover) in mine)
            assert ("Hoàng Thị Thủy" in row and "CCHC" in row) == (
                (item_id, title, _cover) in theirs)
