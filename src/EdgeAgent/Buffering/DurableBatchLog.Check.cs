namespace Convoy.EdgeAgent.Buffering;

/// <summary>What <see cref="DurableBatchLog.Check"/> found in one device's buffer folder.</summary>
internal sealed record BufferCheckReport(
    string Folder,
    int Segments,
    int Records,
    ulong Acked,
    bool AckFileValid,
    int Unacknowledged,
    ulong FirstUnacknowledged,
    ulong LastSequence,
    long Bytes,
    int TornTails,
    int CorruptRecords,
    int QuarantinedFiles,
    IReadOnlyList<string> Problems,
    IReadOnlyList<(ulong Sequence, string Reason)> DeadLetters)
{
    /// <summary>Nothing torn or damaged: the agent would open this folder without changing it.</summary>
    public bool Healthy => TornTails == 0 && CorruptRecords == 0 && Problems.Count == 0;
}

internal sealed partial class DurableBatchLog
{
    /// <summary>
    /// Verifies one device's buffer folder (<c>&lt;Folder&gt;/&lt;tenant&gt;/&lt;device&gt;</c>) without
    /// changing anything: every segment and record, the CRCs, the ack file. For an operator's
    /// <c>check</c> command, e.g. on a gateway that logged quarantined segments.
    /// </summary>
    /// <summary>Verifies every device folder under a buffer root (<c>&lt;Folder&gt;/&lt;tenant&gt;/&lt;device&gt;</c>).</summary>
    public static IReadOnlyList<BufferCheckReport> CheckAll(string bufferFolder)
    {
        ArgumentNullException.ThrowIfNull(bufferFolder);
        var reports = new List<BufferCheckReport>();
        if (!Directory.Exists(bufferFolder))
        {
            return reports;
        }

        var tenants = Directory.GetDirectories(bufferFolder);
        Array.Sort(tenants, StringComparer.Ordinal);
        foreach (string tenant in tenants)
        {
            var devices = Directory.GetDirectories(tenant);
            Array.Sort(devices, StringComparer.Ordinal);
            foreach (string device in devices)
            {
                reports.Add(Check(device));
            }
        }

        return reports;
    }

    public static BufferCheckReport Check(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var problems = new List<string>();
        if (!Directory.Exists(folder))
        {
            problems.Add($"folder {folder} does not exist");
            return new BufferCheckReport(folder, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0, problems, []);
        }

        bool ackValid = SegmentFile.TryReadAck(folder, out ulong acked, out ulong highWater, out string? ackError);
        if (ackError is not null)
        {
            problems.Add($"ack file: {ackError}"); // a missing one only means nothing was acknowledged yet
        }

        var files = SegmentFile.List(folder);
        int records = 0, unacknowledged = 0, torn = 0, corrupt = 0;
        ulong firstUnacknowledged = 0, last = Math.Max(acked, highWater), previous = 0;
        long bytes = 0;
        foreach (var (first, path) in files)
        {
            var scan = SegmentFile.Scan(first, path, previous);
            bytes += scan.FileLength;
            records += scan.Records.Count;
            foreach (var record in scan.Records)
            {
                if (record.Sequence > acked)
                {
                    unacknowledged++;
                    firstUnacknowledged = firstUnacknowledged == 0 ? record.Sequence : firstUnacknowledged;
                }
            }

            ulong lastGood = scan.Records.Count > 0 ? scan.Records[^1].Sequence : Math.Max(previous, first - 1);
            last = Math.Max(last, Math.Max(lastGood, scan.HighestSequenceAfterFault));
            previous = lastGood;
            switch (scan.Fault)
            {
                case SegmentFault.TornTail:
                    torn++;
                    problems.Add($"{Path.GetFileName(path)}: torn tail at offset {scan.ValidLength} ({scan.FileLength - scan.ValidLength} byte(s))");
                    break;
                case SegmentFault.Corrupt:
                    corrupt++;
                    problems.Add($"{Path.GetFileName(path)}: damaged record at offset {scan.ValidLength}{(scan.Error is null ? string.Empty : ": " + scan.Error)}");
                    break;
                default:
                    break;
            }
        }

        string quarantine = Path.Combine(folder, SegmentFile.QuarantineFolder);
        int quarantined = Directory.Exists(quarantine) ? Directory.GetFiles(quarantine).Length : 0;
        var deadLetters = ReadDeadLetters(folder).Select(static d => (d.Sequence, d.Reason)).ToList();
        return new BufferCheckReport(folder, files.Count, records, acked, ackValid, unacknowledged, firstUnacknowledged, last, bytes, torn, corrupt, quarantined, problems, deadLetters);
    }
}
