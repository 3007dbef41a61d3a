using Convoy.EdgeAgent.Buffering;

namespace Convoy.EdgeAgent;

/// <summary><c>Convoy.EdgeAgent check [--folder DIR]</c>: verifies the durable buffer offline, for a technician or a health script.</summary>
public static class BufferCheckCommand
{
    /// <summary>Prints what it found per device; returns 0 when every device folder is healthy, 1 otherwise, 2 on bad usage.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        string folder = new DurableBufferOptions().Folder;
        if (args.Length == 2 && args[0] == "--folder")
        {
            folder = args[1];
        }
        else if (args.Length != 0)
        {
            output.WriteLine("usage: Convoy.EdgeAgent check [--folder DIR]");
            return 2;
        }

        if (!Directory.Exists(folder))
        {
            output.WriteLine($"No buffer at {Path.GetFullPath(folder)}.");
            return 0;
        }

        bool healthy = true;
        foreach (var report in DurableBatchLog.CheckAll(folder))
        {
            healthy &= report.Healthy;
            output.WriteLine($"{report.Folder}: {(report.Healthy ? "healthy" : "DAMAGED")}; {report.Segments} segment(s), {report.Records} record(s), " +
                $"acknowledged through {report.Acked}, {report.Unacknowledged} unacknowledged (from {report.FirstUnacknowledged}), last sequence {report.LastSequence}, " +
                $"{report.Bytes} bytes; torn tails {report.TornTails}, damaged records {report.CorruptRecords}, quarantined files {report.QuarantinedFiles}");
            foreach (string problem in report.Problems)
            {
                output.WriteLine("  " + problem);
            }

            foreach (var (sequence, reason) in report.DeadLetters)
            {
                output.WriteLine($"  dead letter {sequence} (refused by the collector, not sent again): {reason}");
            }
        }

        return healthy ? 0 : 1;
    }
}
