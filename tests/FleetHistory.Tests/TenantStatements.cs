using System.Text.RegularExpressions;
using Convoy.FleetHistory.Store.ClickHouse;

namespace Convoy.FleetHistory.Tests;

/// <summary>Checks that what the ClickHouse store sent for one tenant's call touches that tenant's data only.</summary>
internal static partial class TenantStatements
{
    /// <summary>
    /// Every statement is a CREATE, a SELECT or an INSERT (the store never alters or deletes). With
    /// shared tables every table a SELECT names, in a subquery too, is followed by the tenant filter,
    /// and every inserted row starts with the tenant; with a database per tenant every table named is
    /// in the tenant's database. No other tenant's name appears.
    /// </summary>
    public static void AssertScoped(IReadOnlyList<SentStatement> sent, ClickHouseIsolation isolation, string database, string tenant)
    {
        Assert.NotEmpty(sent);
        string tenantDatabase = isolation == ClickHouseIsolation.SharedTables ? database : $"{database}_{tenant.Replace('-', '_')}";
        foreach (var statement in sent)
        {
            string text = statement.Statement;
            foreach (string other in new[] { "acme", "globex", "initech" }.Where(t => t != tenant))
            {
                Assert.DoesNotContain(other, text + statement.Rows, StringComparison.Ordinal);
            }

            // Every table is named with its database; all of them the tenant's (the shared one, or its own).
            var tables = TableName().Matches(text).Select(m => m.Groups["database"].Value).Where(d => d != "system").ToList();
            Assert.All(tables, d => Assert.Equal(tenantDatabase, d));
            if (text.StartsWith("CREATE ", StringComparison.Ordinal))
            {
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
            Assert.NotEmpty(tables);
            if (isolation == ClickHouseIsolation.SharedTables)
            {
                string filtered = $@"FROM {Regex.Escape(database)}\.\w+ WHERE tenant = '{tenant}' AND ";
                Assert.True(tables.Count == Regex.Count(text, filtered), $"a table without the filter tenant = '{tenant}' in: {text}");
            }
        }
    }

    [GeneratedRegex(@"\b(?<database>\w+)\.(?<table>[a-z_]+)\b")]
    private static partial Regex TableName();
}
