namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// The references for <see cref="VectorKernels"/>: one reading at a time, one bit at a time, in the
/// plainest C# that states each rule, sharing nothing with the vector kernels but the fences'
/// precomputed values. Property tests hold the vector kernels to these bit for bit. Not for the
/// hot path.
/// </summary>
internal static class ScalarKernels
{
    public static void Above(ReadOnlySpan<float> values, float threshold, Span<ulong> mask)
    {
        Clear(values.Length, mask);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] > threshold)
            {
                Set(mask, i);
            }
        }
    }

    public static void Below(ReadOnlySpan<float> values, float threshold, Span<ulong> mask)
    {
        Clear(values.Length, mask);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < threshold)
            {
                Set(mask, i);
            }
        }
    }

    public static void Outside(ReadOnlySpan<float> values, float min, float max, Span<ulong> mask)
    {
        Clear(values.Length, mask);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
            {
                Set(mask, i);
            }
        }
    }

    public static void InsideCircle(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, CircleFence fence, Span<ulong> mask)
    {
        ViolationMask.Check(latitudesDeg.Length, longitudesDeg.Length, mask.Length);
        Clear(latitudesDeg.Length, mask);
        for (int i = 0; i < latitudesDeg.Length; i++)
        {
            // Same operations in the same order as InsideCircleOp's vector members.
            double dLon = longitudesDeg[i] - fence.CentreLonDeg;
            if (dLon > 180.0)
            {
                dLon -= 360.0;
            }

            if (dLon < -180.0)
            {
                dLon += 360.0;
            }

            double x = dLon * fence.CosLatitude;
            double y = latitudesDeg[i] - fence.CentreLatDeg;
            if ((x * x) + (y * y) <= fence.RadiusDegSquared)
            {
                Set(mask, i);
            }
        }
    }

    public static void InsidePolygon(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, PolygonFence fence, Span<ulong> mask)
    {
        ViolationMask.Check(latitudesDeg.Length, longitudesDeg.Length, mask.Length);
        Clear(latitudesDeg.Length, mask);
        var edges = fence.Edges;
        for (int i = 0; i < latitudesDeg.Length; i++)
        {
            double lat = latitudesDeg[i];
            double lon = longitudesDeg[i];
            bool inside = false;
            for (int e = 0; e < edges.Length; e++)
            {
                // Same operations in the same order as InsidePolygonOp's vector members.
                if ((edges[e].LatA > lat) != (edges[e].LatB > lat)
                    && lon < (edges[e].LonPerLat * (lat - edges[e].LatA)) + edges[e].LonA)
                {
                    inside = !inside;
                }
            }

            if (inside)
            {
                Set(mask, i);
            }
        }
    }

    /// <summary>Rising faster than <paramref name="perMinute"/>: each pair's rate, plainly, as <see cref="RiseAboveOp"/> states it.</summary>
    public static void RiseAbove(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask) =>
        Rate(offsetsMs, values, perMinute, mask, rising: true);

    public static void RiseAtOrBelow(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask) =>
        Rate(offsetsMs, values, perMinute, mask, rising: false);

    private static void Rate(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask, bool rising)
    {
        ViolationMask.CheckColumns(offsetsMs.Length, values.Length, mask.Length);
        Clear(values.Length, mask);
        for (int i = 1; i < values.Length; i++)
        {
            // Same operations in the same order as the rate ops' vector members.
            float dv = values[i] - values[i - 1];
            float dtMs = (int)(offsetsMs[i] - offsetsMs[i - 1]);
            if (!(dtMs > 0f))
            {
                continue;
            }

            float lhs = dv * 60_000f;
            float rhs = perMinute * dtMs;
            if (rising ? lhs > rhs : lhs <= rhs)
            {
                Set(mask, i);
            }
        }
    }

    /// <summary>Writes the transition indices (see <see cref="MaskTransitions"/>) and returns how many.</summary>
    public static int Transitions(ReadOnlySpan<ulong> mask, int n, bool before, Span<int> indices)
    {
        int count = 0;
        bool previous = before;
        for (int i = 0; i < n; i++)
        {
            bool bit = ViolationMask.IsSet(mask, i);
            if (bit != previous)
            {
                indices[count++] = i;
            }

            previous = bit;
        }

        return count;
    }

    private static void Clear(int n, Span<ulong> mask)
    {
        ViolationMask.Check(n, mask.Length);
        mask[..ViolationMask.WordsFor(n)].Clear();
    }

    private static void Set(Span<ulong> mask, int i) => mask[i >> 6] |= 1UL << (i & 63);
}
