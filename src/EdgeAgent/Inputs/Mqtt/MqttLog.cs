using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>The MQTT sensor input's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class MqttLog
{
    [LoggerMessage(EventId = 110, EventName = "MqttConnected", Level = LogLevel.Information,
        Message = "MQTT input connected to {Broker} as {ClientId}, subscribed to {Topics} (session resumed: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string broker, string clientId, string topics, bool sessionPresent);

    [LoggerMessage(EventId = 111, EventName = "MqttConnectionLost", Level = LogLevel.Warning,
        Message = "MQTT input {Broker}: {Reason}; reconnecting in {Delay}")]
    public static partial void ConnectionLost(ILogger logger, string broker, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 112, EventName = "MqttMessageRejected", Level = LogLevel.Warning,
        Message = "MQTT message on {Topic} refused, {Outcome}: {Payload} ({Suppressed} more refused as {Outcome} since the last report)")]
    public static partial void Rejected(ILogger logger, string topic, string outcome, string payload, long suppressed);

    [LoggerMessage(EventId = 113, EventName = "MqttSubscriptionRefused", Level = LogLevel.Error,
        Message = "MQTT broker {Broker} refused the subscription to {Topic}: {Result}; readings published there are not received")]
    public static partial void SubscriptionRefused(ILogger logger, string broker, string topic, string result);

    [LoggerMessage(EventId = 114, EventName = "MqttStopped", Level = LogLevel.Information,
        Message = "MQTT input stopped; messages: {Statistics}")]
    public static partial void Stopped(ILogger logger, MqttStatistics statistics);
}
