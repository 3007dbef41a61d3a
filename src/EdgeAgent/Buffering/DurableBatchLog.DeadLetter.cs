using System.Text;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>
/// The dead-letter area: batches the collector refused for good (their content is invalid), kept
/// beside the segments in <c>dead-letter/</c> as the exact bytes that were sent
/// (<c>&lt;sequence&gt;.batch</c>) and the collector's message (<c>&lt;sequence&gt;.reason</c>), so an
/// operator can see what was refused and why (<c>check</c>) and export it. Nothing in it is sent again.
/// </summary>
internal sealed partial class DurableBatchLog
{
    public const string DeadLetterFolderName = "dead-letter";

    private long _deadLettered;

    /// <summary>This device's dead-letter folder.</summary>
    public string DeadLetterFolder => Path.Combine(Folder, DeadLetterFolderName);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public void DeadLetter(ulong sequence, string reason)
    {
        if (!TryGetNext(Acked, out ulong oldest, out byte[] bytes) || oldest != sequence)
        {
            throw new InvalidOperationException($"batch {sequence} is not the oldest kept batch of {Device}");
        }

        // The batch and its reason are on disk before the batch leaves the send path: a power cut
        // in between sends it again (and it is refused again), never loses it silently.
        Directory.CreateDirectory(DeadLetterFolder);
        string name = sequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
        WriteDurably(Path.Combine(DeadLetterFolder, name + ".batch"), bytes);
        WriteDurably(Path.Combine(DeadLetterFolder, name + ".reason"), Encoding.UTF8.GetBytes(reason + "\n"));
        Interlocked.Increment(ref _deadLettered);
        Acknowledge(sequence);
    }

    /// <summary>The dead-lettered batches of a device folder, oldest first: sequence, bytes and the collector's message.</summary>
    public static IReadOnlyList<(ulong Sequence, byte[] Bytes, string Reason)> ReadDeadLetters(string deviceFolder)
    {
        string folder = Path.Combine(deviceFolder, DeadLetterFolderName);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var letters = new List<(ulong, byte[], string)>();
        foreach (string path in Directory.GetFiles(folder, "*.batch").Order(StringComparer.Ordinal))
        {
            if (!ulong.TryParse(Path.GetFileNameWithoutExtension(path), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong sequence))
            {
                continue;
            }

            string reasonPath = Path.ChangeExtension(path, ".reason");
            string reason = File.Exists(reasonPath) ? File.ReadAllText(reasonPath).TrimEnd('\n') : "(no reason recorded)";
            letters.Add((sequence, File.ReadAllBytes(path), reason));
        }

        return letters;
    }

    private void WriteDurably(string path, byte[] content)
    {
        string temp = path + ".tmp";
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            output.Write(content);
            output.Flush(flushToDisk: _options.FsyncPolicy != FsyncPolicy.Never);
        }

        File.Move(temp, path, overwrite: true);
    }
}
