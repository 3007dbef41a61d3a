using System.Threading.Channels;
using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EdgeAgent.Inputs;

/// <summary>
/// One reading of a non-GPS sensor, as an input delivers it: which <see cref="SensorColumn"/> of the
/// <see cref="SensorCatalog"/> it belongs to, when it was taken (the sensor's own clock) and its
/// value in the column's unit. A value type, so passing readings along allocates nothing.
/// </summary>
/// <param name="Column">Index into <see cref="SensorCatalog.Columns"/>; negative only for <see cref="Tick"/>.</param>
/// <param name="UnixTimeMs">UTC time of the reading in milliseconds since the Unix epoch.</param>
/// <param name="Value">The value, finite and within the column's range.</param>
/// <param name="Receipt">
/// For an input whose source sends again what is not acknowledged (MQTT QoS 1): told once the
/// reading is stored for good (its batch durable on disk) or known to be a duplicate; null otherwise.
/// </param>
internal readonly record struct SensorReading(int Column, long UnixTimeMs, float Value, IReadingReceipt? Receipt = null)
{
    /// <summary>Not a reading: wakes the batcher so that it can cut a batch that has been open long enough.</summary>
    public static SensorReading Tick => new(-1, 0, 0);

    public bool IsTick => Column < 0;
}

/// <summary>
/// Lets the source of a reading know it may forget it: the reading is on disk in a batch (or was a
/// duplicate of one that is), so a crash of the agent from now on cannot lose it.
/// </summary>
internal interface IReadingReceipt
{
    /// <summary>Tells the source; failures (the source is gone) are the source's to handle by sending again.</summary>
    Task StoredAsync();
}

/// <summary>Which column of a <see cref="TelemetryBatch"/> a sensor's readings go to.</summary>
internal enum SensorColumnKind
{
    /// <summary>A reefer zone's air temperature (<see cref="TemperatureColumns"/>, zone 1..8).</summary>
    Temperature,

    /// <summary>The fuel tank level in percent (<see cref="FuelColumns"/>).</summary>
    FuelLevel,

    /// <summary>Any other scalar (<see cref="ScalarColumns"/>, by <see cref="ScalarKind"/>).</summary>
    Scalar,
}

/// <summary>
/// One column set of a batch that sensor readings fill, with the range the contract allows for it
/// (proto/convoy/telemetry/v1/telemetry.proto): a reading outside it would make the collector refuse
/// the whole batch, so inputs refuse the reading instead.
/// </summary>
internal sealed record SensorColumn(SensorColumnKind Kind, uint Zone, ScalarKind Scalar, string CustomName, float Min, float Max, bool Binary)
{
    /// <summary>Whether <paramref name="value"/> may go into this column (finite, in range, 0 or 1 for a binary state).</summary>
    public bool Accepts(float value) =>
        value >= Min && value <= Max && (!Binary || value == 0f || value == 1f); // NaN fails every comparison
}

/// <summary>
/// The pipe from the sensor inputs to the batcher: inputs write, one batcher reads. Bounded, so a
/// stalled batcher slows the inputs (the MQTT input then stops acknowledging and the broker stops
/// sending) instead of growing memory. A later pre-aggregation stage sits between by reading one
/// such pipe and writing another.
/// </summary>
internal sealed class SensorReadings
{
    public const int DefaultCapacity = 4096;

    private readonly Channel<SensorReading> _channel;

    /// <param name="capacity">Readings the pipe holds before an input's write waits for the batcher.</param>
    /// <param name="unacknowledgedLimit">
    /// Readings with a <see cref="SensorReading.Receipt"/> the batcher may hold before it must store
    /// them and hand the receipts back: the MQTT input's ReceiveMaximum, past which the broker sends
    /// nothing more until some are acknowledged.
    /// </param>
    public SensorReadings(int capacity = DefaultCapacity, int unacknowledgedLimit = 256)
    {
        UnacknowledgedLimit = unacknowledgedLimit;
        _channel = Channel.CreateBounded<SensorReading>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>See the constructor.</summary>
    public int UnacknowledgedLimit { get; }

    public ChannelWriter<SensorReading> Writer => _channel.Writer;

    public ChannelReader<SensorReading> Reader => _channel.Reader;
}
