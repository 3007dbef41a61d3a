using Convoy.Pki;
using Convoy.Tenancy;

namespace Convoy.FleetHistory.Store.ClickHouse;

/// <summary>
/// One tenant's view of the ClickHouse store, and the only place its SQL names a table: every read
/// starts from <see cref="From"/> and every insert from <see cref="InsertInto"/> and
/// <see cref="Row"/>. With <see cref="ClickHouseIsolation.SharedTables"/> that is what keeps tenants
/// apart, so <see cref="From"/> always filters on <c>tenant = '&lt;tenant&gt;'</c> (in its
/// visibility subquery too) and <see cref="Row"/> always writes the tenant column first; with
/// <see cref="ClickHouseIsolation.DatabasePerTenant"/> the tenant names the database instead.
/// </summary>
internal sealed class TenantScope
{
    private readonly string _tenantFilter;

    /// <param name="isolation">how tenants are kept apart: a database each, or shared tables with a tenant column.</param>
    /// <param name="database">the configured database: the shared one, or the prefix of each tenant's.</param>
    /// <param name="tenant">the tenant whose rows this scope reads and writes; a valid tenant id.</param>
    public TenantScope(ClickHouseIsolation isolation, string database, string tenant)
    {
        // The tenant becomes part of a database name or a literal: only a valid tenant id (1..63 of
        // [a-z0-9-]) gets this far, so '-' to '_' cannot make two tenants one database.
        if (!DeviceIdentity.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant id", nameof(tenant));
        }

        Tenant = tenant;
        Isolation = isolation;
        Database = isolation == ClickHouseIsolation.SharedTables ? database : $"{database}_{tenant.Replace('-', '_')}";
        _tenantFilter = isolation == ClickHouseIsolation.SharedTables ? $"tenant = {ClickHouseSql.Quote(tenant)} AND " : "";
    }

    public string Tenant { get; }

    public ClickHouseIsolation Isolation { get; }

    /// <summary>The database that holds the tenant's tables.</summary>
    public string Database { get; }

    /// <summary>
    /// <c>FROM db.table WHERE [tenant = '...' AND] flush NOT IN (flushes in progress or abandoned)</c>:
    /// the tenant's committed rows of <paramref name="table"/>, for a query to go on with
    /// <c> AND ...</c>, <c> GROUP BY ...</c> or <c> ORDER BY ...</c>.
    /// </summary>
    public string From(string table) =>
        $"FROM {Database}.{table} WHERE {_tenantFilter}flush NOT IN "
        + $"(SELECT flush FROM {Database}.{ClickHouseSchema.Flushes} WHERE {_tenantFilter}1 GROUP BY flush HAVING sum(sign) > 0)";

    /// <summary>
    /// <c>ALTER TABLE db.table DELETE WHERE [tenant = '...' AND] (condition)</c>: removes only the
    /// tenant's rows of <paramref name="table"/> (all rows, visible or not, that match).
    /// </summary>
    public string DeleteFrom(string table, string condition) =>
        $"ALTER TABLE {Database}.{table} DELETE WHERE {_tenantFilter}({condition})";

    /// <summary>The statement of an insert into the tenant's <paramref name="table"/>; the rows go in the body, begun with <see cref="Row"/>.</summary>
    public string InsertInto(string table) => $"INSERT INTO {Database}.{table} FORMAT TabSeparated";

    /// <summary>Begins a row of an insert: the tenant column, in the shared tables.</summary>
    public TabSeparatedRows Row(TabSeparatedRows rows)
    {
        if (Isolation == ClickHouseIsolation.SharedTables)
        {
            rows.Text(Tenant);
        }

        return rows;
    }

    /// <summary>What creates the tenant's database and tables when they are missing; each statement runs on its own.</summary>
    public IEnumerable<string> CreateStatements()
    {
        yield return $"CREATE DATABASE IF NOT EXISTS {Database}";
        bool shared = Isolation == ClickHouseIsolation.SharedTables;
        foreach (var table in ClickHouseSchema.Tables)
        {
            string columns = shared ? "tenant String, " + table.Columns : table.Columns;
            string key = shared ? "tenant, " + table.SortingKey : table.SortingKey;
            yield return $"CREATE TABLE IF NOT EXISTS {Database}.{table.Name} ({columns}) ENGINE = {table.Engine} ORDER BY ({key})";
        }
    }
}
