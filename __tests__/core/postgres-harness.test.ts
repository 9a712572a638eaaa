import { describeWithPostgres, startPostgres, type LocalPostgres } from "../helpers/postgres";

describeWithPostgres("local PostgreSQL harness", () => {
  let pg: LocalPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it("runs SQL as the superuser and reports failures of other roles", () => {
    expect(pg.psql("select 1 + 1")).toBe("2");
    pg.psql("create role probe login");
    const denied = pg.tryPsql("create table public.t (id int)", { user: "probe" });
    // PostgreSQL 15+ revokes CREATE on schema public from PUBLIC.
    expect(denied.ok).toBe(false);
    expect(denied.stderr).toMatch(/permission denied for schema public/);
  });
});
