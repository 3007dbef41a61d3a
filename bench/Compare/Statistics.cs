namespace Convoy.BenchCompare;

/// <summary>Whether one side's runs are higher than the other's beyond what the machine's noise explains.</summary>
internal static class Statistics
{
    /// <summary>One-sided: a regression must be that unlikely to arise from noise alone.</summary>
    public const double Alpha = 0.025;

    /// <summary>
    /// The exact one-sided Mann-Whitney p-value that <paramref name="head"/>'s values are not higher
    /// than <paramref name="base"/>'s: the share of all orderings of the pooled runs in which head
    /// is below base in at most as many pairs as observed. Needs no assumption about the noise's
    /// shape; with 5 rounds each, p &lt; 0.025 means head was higher in at least 23 of 25 pairs.
    /// </summary>
    public static double HeadHigherP(double[] @base, double[] head)
    {
        int m = @base.Length, n = head.Length;
        if (m == 0 || n == 0)
        {
            return 1;
        }

        double below = 0; // pairs in which head is below base; ties count half
        foreach (double b in @base)
        {
            foreach (double h in head)
            {
                below += h < b ? 1 : h == b ? 0.5 : 0;
            }
        }

        // count[i, j, u]: orderings of i base and j head values with u head-below-base pairs.
        int most = m * n;
        var count = new double[m + 1, n + 1, most + 1];
        for (int i = 0; i <= m; i++)
        {
            for (int j = 0; j <= n; j++)
            {
                for (int u = 0; u <= most; u++)
                {
                    count[i, j, u] = i == 0 || j == 0
                        ? (u == 0 ? 1 : 0)
                        // The largest value is a base (every head value is below it) or a head (below no base).
                        : (u >= j ? count[i - 1, j, u - j] : 0) + count[i, j - 1, u];
                }
            }
        }

        double total = 0, atMost = 0;
        for (int u = 0; u <= most; u++)
        {
            total += count[m, n, u];
            atMost += u <= Math.Floor(below) ? count[m, n, u] : 0;
        }

        return atMost / total;
    }
}
