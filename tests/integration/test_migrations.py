"""Alembic is the only way the schema changes; these prove it works on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from activities.database import create_engine_from_url
from activities.schema import metadata
from migrations import runner


class MigrationContract:
    """Subclasses provide `url`: a database with no schema at all."""

    def tables(self, url: str | URL) -> set[str]:
        engine = create_engine_from_url(url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_upgrade_from_empty_creates_every_table_at_head(self, url: str | URL) -> None:
        runner.upgrade(url)
        assert self.tables(url) == set(metadata.tables) | {"alembic_version"}
        engine = create_engine_from_url(url)
        with engine.connect() as conn:
            assert runner.current_revision(conn) == runner.head_revision()
        engine.dispose()

    def test_alembic_check_finds_no_drift_between_models_and_migrations(
        self, url: str | URL
    ) -> None:
        runner.upgrade(url)
        runner.check(url)

    def test_downgrade_to_base_then_upgrade_again_round_trips(self, url: str | URL) -> None:
        runner.upgrade(url)
        runner.downgrade(url, "base")
        assert self.tables(url) <= {"alembic_version"}
        runner.upgrade(url)
        runner.check(url)
        assert self.tables(url) == set(metadata.tables) | {"alembic_version"}

    def test_check_notices_drift_when_the_models_change(self, url: str | URL) -> None:
        runner.upgrade(url)
        extra = sa.Table("not_migrated", metadata, sa.Column("id", sa.Integer, primary_key=True))
        try:
            with pytest.raises(Exception, match="not_migrated"):
                runner.check(url)
        finally:
            metadata.remove(extra)


class TestSQLiteMigrations(MigrationContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'nested' / 'partnerships.db'}"


@pytest.mark.postgres
class TestPostgresMigrations(MigrationContract):
    @pytest.fixture
    def url(self, empty_pg_url: URL) -> URL:
        return empty_pg_url
