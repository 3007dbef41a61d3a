using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.EdgeAgent.Inputs.Nmea;
using Convoy.EdgeAgent.Simulation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The agent's sections checked as the agent checks them at start: by their generated validators
/// (after the defaults that depend on other settings), throwing the <see cref="OptionsValidationException"/>
/// the agent would fail with.
/// </summary>
internal static class SettingsChecks
{
    public static NmeaOptions Validated(this NmeaOptions options)
    {
        OptionsChecks.Validate(new NmeaOptionsValidator(), options);
        return options;
    }

    public static DurableBufferOptions Validated(this DurableBufferOptions options)
    {
        OptionsChecks.Validate(new DurableBufferOptionsValidator(), options);
        return options;
    }

    public static AggregationOptions Validated(this AggregationOptions options)
    {
        OptionsChecks.Validate(new AggregationOptionsValidator(), options);
        return options;
    }

    public static SimulatorOptions Validated(this SimulatorOptions options)
    {
        OptionsChecks.Validate(new SimulatorOptionsValidator(), options);
        return options;
    }

    /// <summary>As on a truck with <paramref name="deviceId"/>: the default topic, client id and sensor names, then the checks.</summary>
    public static MqttOptions Validated(this MqttOptions options, string deviceId)
    {
        options.ApplyDefaults(deviceId);
        OptionsChecks.Validate(new MqttOptionsValidator(), options);
        return options;
    }
}

