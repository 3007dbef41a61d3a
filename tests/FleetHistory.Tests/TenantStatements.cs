using System.Text.RegularExpressions;
using Convoy.Tenancy;

namespace Convoy.FleetHistory.Tests;

/// <summary>Checks that what the ClickHouse store sent for one tenant's call touches that tenant's data only.</summary>
internal static partial class TenantStatements
{
    /// <summary>
    /// Every statement is a CREATE, a SELECT or an INSERT (the store never alters or deletes). Tables
    /// are created and rows inserted in the tenant's database only (the shared one, or its own), and
    /// with shared tables every inserted row starts with the tenant. A SELECT names the tenant's
    /// tables only: of its own database, or of the shared tables each followed by the tenant filter,
    /// in a subquery too (the store looks in both to find where a tenant's projections are); one that
    /// names no table asks about the tenant's own database by name. No other tenant's name appears.
    /// </summary>
    public static void AssertScoped(IReadOnlyList<SentStatement> sent, ClickHouseIsolation isolation, string database, string tenant)
    {
        Assert.NotEmpty(sent);
        string own = $"{database}_{tenant.Replace('-', '_')}";
        string tenantDatabase = isolation == ClickHouseIsolation.SharedTables ? database : own;
        foreach (var statement in sent)
        {
            string text = statement.Statement;
            foreach (string other in new[] { "acme", "globex", "initech" }.Where(t => t != tenant))
            {
                Assert.DoesNotContain(other, text + statement.Rows, StringComparison.Ordinal);
            }

            // Every table is named with its database: the tenant's own or the shared one.
            var tables = TableName().Matches(text).Select(m => m.Groups["database"].Value).Where(d => d != "system").ToList();
            Assert.All(tables, d => Assert.True(d == own || d == database, $"a table of database {d} in: {text}"));
            if (text.StartsWith("CREATE ", StringComparison.Ordinal))
            {
                Assert.All(tables, d => Assert.Equal(tenantDatabase, d));
                continue;
            }

            if (statement.Rows is { } rows)
            {
                Assert.StartsWith($"INSERT INTO {tenantDatabase}.", text, StringComparison.Ordinal);
                if (isolation == ClickHouseIsolation.SharedTables)
                {
                    Assert.All(rows.Split('\n', StringSplitOptions.RemoveEmptyEntries), row => Assert.StartsWith(tenant + "\t", row, StringComparison.Ordinal));
                }

                continue;
            }

            Assert.StartsWith("SELECT ", text, StringComparison.Ordinal);
            if (tables.Count == 0)
            {
                Assert.Contains($"name = '{own}'", text, StringComparison.Ordinal);
                continue;
            }

            string filtered = $@"FROM {Regex.Escape(database)}\.\w+ WHERE tenant = '{tenant}' AND ";
            Assert.True(tables.Count(d => d == database) == Regex.Count(text, filtered), $"a shared table without the filter tenant = '{tenant}' in: {text}");
        }
    }

    [GeneratedRegex(@"\b(?<database>\w+)\.(?<table>[a-z_]+)\b")]
    private static partial Regex TableName();
}
