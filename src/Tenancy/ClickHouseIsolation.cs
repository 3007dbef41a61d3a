namespace Convoy.Tenancy;

/// <summary>
/// How the ClickHouse store keeps a tenant apart from the others: the registry's <c>Store:Isolation</c>
/// of the tenant, or <c>FleetHistory:ClickHouse:Isolation</c> for a tenant the registry does not set.
/// </summary>
public enum ClickHouseIsolation
{
    /// <summary>
    /// A database per tenant, <c>&lt;Database&gt;_&lt;tenant&gt;</c> with <c>-</c> as <c>_</c>: a
    /// tenant's queries cannot name another's tables, and a tenant is removed with one
    /// <c>DROP DATABASE</c>. The default.
    /// </summary>
    DatabasePerTenant,

    /// <summary>
    /// One database, <c>&lt;Database&gt;</c>, whose tables every tenant shares, keyed by a
    /// <c>tenant</c> column that every query filters on: fewer tables and parts for ClickHouse to keep
    /// when there are many small tenants.
    /// </summary>
    SharedTables,
}
