using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>When the durable buffer forces its writes to the storage device (fsync).</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// fsync before <c>Append</c> returns: a batch survives a power cut the moment it is made.
    /// Costs one flush per batch (one every few seconds per device: cheap, but wears cheap flash).
    /// </summary>
    EveryBatch,

    /// <summary>
    /// fsync in the background every <see cref="DurableBufferOptions.FsyncIntervalMs"/>: a power cut
    /// can lose at most that window of batches (a process crash loses nothing; the OS has them).
    /// </summary>
    Interval,

    /// <summary>
    /// Never fsync; the OS writes back when it likes (typically within 30 s on Linux). A process
    /// crash loses nothing; a power cut can lose whatever the OS had not written yet.
    /// </summary>
    Never,
}

/// <summary>Configuration section <c>EdgeAgent:Buffer</c>: the agent's on-disk store-and-forward buffer.</summary>
public sealed class DurableBufferOptions : IValidatableObject
{
    public const string SectionName = "EdgeAgent:Buffer";

    /// <summary>Root folder; each device's log lives in <c>&lt;Folder&gt;/&lt;tenant&gt;/&lt;device&gt;/</c>.</summary>
    [Required(ErrorMessage = "Configuration 'EdgeAgent:Buffer:Folder' must name a folder.")]
    public string Folder { get; set; } = ".convoy/buffer";

    /// <summary>Size at which a segment file is closed and a new one started.</summary>
    /// <remarks>Recovery reads a segment whole, so its size bounds start-up memory.</remarks>
    [SettingRange("EdgeAgent:Buffer:SegmentBytes", 64 * 1024, 64 * 1024 * 1024, Reason = "must be 65536..67108864 (64 KiB..64 MiB)")]
    public long SegmentBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// Disk budget per device (all its segments). When an append would exceed it, the oldest
    /// aggregated batches are dropped first and excursion batches last (see
    /// <c>DurableBatchLog.DiskBudget.cs</c>), every dropped batch and reading counted.
    /// Default: 72 h offline of a truck with 10 sensors at 1 Hz (2,592,000 readings, raw, 10 s
    /// batches) measured 29,584,130 bytes (11.41 B a reading) in <c>TruckOfflineTests</c>: 44 % of
    /// 64 MiB, so 2.3× headroom for richer batches.
    /// </summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    public FsyncPolicy FsyncPolicy { get; set; } = FsyncPolicy.Interval;

    /// <summary>Background fsync period when <see cref="FsyncPolicy"/> is <see cref="FsyncPolicy.Interval"/>.</summary>
    public int FsyncIntervalMs { get; set; } = 1000;

    /// <summary>The rules that span settings (the simple ones are attributes).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (MaxBytes < 2 * SegmentBytes)
        {
            yield return Invalid("EdgeAgent:Buffer:MaxBytes", $"must be at least twice EdgeAgent:Buffer:SegmentBytes ({2 * SegmentBytes}), was {MaxBytes}");
        }

        if (!Enum.IsDefined(FsyncPolicy))
        {
            yield return Invalid("EdgeAgent:Buffer:FsyncPolicy", $"must be EveryBatch, Interval or Never, was {FsyncPolicy}");
        }

        if (FsyncPolicy == FsyncPolicy.Interval && FsyncIntervalMs is < 10 or > 60_000)
        {
            yield return Invalid("EdgeAgent:Buffer:FsyncIntervalMs", $"must be 10..60000, was {FsyncIntervalMs}");
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{key}' {reason}.");
}

/// <summary>Checks <see cref="DurableBufferOptions"/>: its attributes and <see cref="IValidatableObject"/> rules, generated (no reflection, AOT-safe).</summary>
[OptionsValidator]
internal sealed partial class DurableBufferOptionsValidator : IValidateOptions<DurableBufferOptions>;
