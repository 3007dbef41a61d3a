using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf.Reflection;

namespace Convoy.Collector.Tests;

/// <summary>
/// BatchView reads TelemetryBatch by hand (field numbers and wire types written into its code), so
/// the compiler cannot tell when telemetry.proto grows a field it does not read: such a field would
/// be skipped as unknown, never validated, and written to Kafka unchecked. This test walks the
/// generated descriptors and compares them with the fields BatchView is known to read.
/// </summary>
public sealed class BatchViewCoversTheContractTests
{
    /// <summary>Every field BatchView reads, as "message.field = number (type)". Add a line only together with the code that reads and validates it.</summary>
    private static readonly string[] HandledByBatchView =
    [
        "TelemetryBatch.tenant_id = 1 (String)",
        "TelemetryBatch.device_id = 2 (String)",
        "TelemetryBatch.sequence = 3 (UInt64)",
        "TelemetryBatch.base_time_unix_ms = 4 (Int64)",
        "TelemetryBatch.gps = 5 (Message GpsColumns)",
        "TelemetryBatch.temperatures = 6 (repeated Message TemperatureColumns)",
        "TelemetryBatch.fuel = 7 (Message FuelColumns)",
        "TelemetryBatch.scalars = 8 (repeated Message ScalarColumns)",
        "TelemetryBatch.traceparent = 9 (String)",
        "GpsColumns.offset_ms = 1 (repeated Fixed32)",
        "GpsColumns.latitude_deg = 2 (repeated Double)",
        "GpsColumns.longitude_deg = 3 (repeated Double)",
        "GpsColumns.speed_kmh = 4 (repeated Float)",
        "GpsColumns.heading_deg = 5 (repeated Float)",
        "GpsColumns.gateway_timed = 6 (repeated Fixed32)",
        "TemperatureColumns.zone = 1 (UInt32)",
        "TemperatureColumns.offset_ms = 2 (repeated Fixed32)",
        "TemperatureColumns.temperature_c = 3 (repeated Float)",
        "TemperatureColumns.windows = 4 (Message WindowColumns)",
        "WindowColumns.start_unix_ms = 1 (repeated SFixed64)",
        "WindowColumns.length_ms = 2 (repeated Fixed32)",
        "WindowColumns.count = 3 (repeated Fixed32)",
        "WindowColumns.min = 4 (repeated Float)",
        "WindowColumns.max = 5 (repeated Float)",
        "WindowColumns.mean = 6 (repeated Float)",
        "WindowColumns.last = 7 (repeated Float)",
        "FuelColumns.offset_ms = 1 (repeated Fixed32)",
        "FuelColumns.level_percent = 2 (repeated Float)",
        "FuelColumns.tank_capacity_l = 3 (Float)",
        "FuelColumns.windows = 4 (Message WindowColumns)",
        "ScalarColumns.kind = 1 (Enum ScalarKind)",
        "ScalarColumns.name = 2 (String)",
        "ScalarColumns.offset_ms = 3 (repeated Fixed32)",
        "ScalarColumns.value = 4 (repeated Float)",
        "ScalarColumns.windows = 5 (Message WindowColumns)",
    ];

    [Fact]
    public void EveryFieldOfTelemetryBatch_IsOneBatchViewReads()
    {
        var inContract = new SortedSet<string>(StringComparer.Ordinal);
        Walk(TelemetryBatch.Descriptor, inContract, []);
        var handled = new SortedSet<string>(HandledByBatchView, StringComparer.Ordinal);

        var unread = inContract.Except(handled).ToList();
        var gone = handled.Except(inContract).ToList();

        Assert.True(unread.Count == 0 && gone.Count == 0,
            (unread.Count > 0
                ? "telemetry.proto has fields that BatchView does not read, so they would reach Kafka unvalidated:" + Environment.NewLine
                  + string.Join(Environment.NewLine, unread.Select(f => "  " + f)) + Environment.NewLine
                  + "Teach BatchView (src/Contracts/Telemetry/BatchView.cs) to read each of them in place, make BatchValidator check it, "
                  + "then add it to HandledByBatchView in this test." + Environment.NewLine
                : string.Empty)
            + (gone.Count > 0
                ? "HandledByBatchView lists fields telemetry.proto no longer has (or has with another number or type):" + Environment.NewLine
                  + string.Join(Environment.NewLine, gone.Select(f => "  " + f)) + Environment.NewLine
                  + "Fields of a published contract are never renumbered or retyped; if one was, BatchView reads the wrong bytes. "
                  + "Make BatchView read the contract as it is now, then correct the list."
                : string.Empty));
    }

    [Fact]
    public void Walk_FindsNestedMessagesOnce_AndDescribesAFieldByNumberAndType()
    {
        var fields = new SortedSet<string>(StringComparer.Ordinal);

        Walk(TelemetryBatch.Descriptor, fields, []);

        // WindowColumns is reached from three column sets but described once.
        Assert.Equal(7, fields.Count(f => f.StartsWith("WindowColumns.", StringComparison.Ordinal)));
        Assert.Contains("TelemetryBatch.temperatures = 6 (repeated Message TemperatureColumns)", fields);
    }

    /// <summary>Every field of <paramref name="message"/> and, recursively, of the messages its fields hold.</summary>
    private static void Walk(MessageDescriptor message, SortedSet<string> fields, HashSet<string> visited)
    {
        if (!visited.Add(message.FullName))
        {
            return;
        }

        foreach (var field in message.Fields.InFieldNumberOrder())
        {
            string type = field.FieldType switch
            {
                FieldType.Message => "Message " + field.MessageType.Name,
                FieldType.Enum => "Enum " + field.EnumType.Name,
                var scalar => scalar.ToString(),
            };
            fields.Add($"{message.Name}.{field.Name} = {field.FieldNumber} ({(field.IsRepeated ? "repeated " : string.Empty)}{type})");
            if (field.FieldType == FieldType.Message)
            {
                Walk(field.MessageType, fields, visited);
            }
        }
    }
}
