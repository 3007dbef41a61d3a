using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Convoy.EdgeAgent.Inputs.Mqtt;

/// <summary>
/// The local sensor input: subscribes (QoS 1) to the gateway's MQTT broker and passes every good
/// reading on to <see cref="SensorReadings"/>; refuses, counts and (rate-limited) logs the rest.
/// Keeps itself connected: a broker that is down, restarts or drops the connection is retried with
/// exponential backoff and jitter, forever; only stopping the agent ends it.
/// <para>
/// A good message is acknowledged to the broker only when its reading is stored for good (the
/// batcher hands its <see cref="SensorReading.Receipt"/> back once the batch is durable on disk), so
/// a power cut or a crash never loses a reading the broker has forgotten; with
/// <see cref="MqttOptions.ReceiveMaximum"/> the broker stops sending while that many wait. With a
/// session that outlives the connection (<see cref="MqttOptions.SessionExpiry"/>), the broker keeps
/// what is unacknowledged or published while the agent restarts and delivers it on reconnect.
/// </para>
/// </summary>
internal sealed class MqttSensorInput : BackgroundService
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly MqttOptions _options;
    private readonly SensorMessageParser _parser;
    private readonly SensorReadings _readings;
    private readonly EdgeAgentMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MqttRejectionLog _rejections;
    private readonly string _tenant;
    private readonly string _broker;
    private readonly string _topics;
    private readonly X509Certificate2Collection? _trustRoots;
    private TaskCompletionSource<string>? _connectionLost;
    private CancellationToken _stopping;

    public MqttSensorInput(IOptions<MqttOptions> options, SensorCatalog catalog, SensorReadings readings, IOptions<EdgeAgentOptions> agent,
        EdgeAgentMetrics metrics, TimeProvider time, ILogger<MqttSensorInput> logger)
    {
        _options = options.Value;
        _parser = new SensorMessageParser(catalog, _options);
        _readings = readings;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _rejections = new MqttRejectionLog(logger, time, _options.RejectionLogInterval);
        _tenant = agent.Value.Device.Tenant;
        _topics = string.Join(", ", _options.Topics);
        _broker = $"{(_options.UseTls ? "mqtts" : "mqtt")}://{_options.Host}:{_options.Port}";
        if (_options.UseTls && !string.IsNullOrEmpty(_options.TrustRoots))
        {
            _trustRoots = [];
            _trustRoots.ImportFromPemFile(_options.TrustRoots);
        }
    }

    /// <summary>Every message received so far, by outcome.</summary>
    public MqttStatistics Statistics { get; } = new();

    /// <summary>Connections made (the first and every reconnect).</summary>
    public int Connections { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += OnMessageAsync;
        client.DisconnectedAsync += OnDisconnectedAsync;
        var clientOptions = BuildClientOptions();
        var backoff = new ReconnectBackoff(_options.ReconnectDelay, _options.ReconnectMaxDelay);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _connectionLost, lost);
                string reason;
                try
                {
                    using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    connectTimeout.CancelAfter(ConnectTimeout);
                    var connected = await client.ConnectAsync(clientOptions, connectTimeout.Token);
                    await SubscribeAsync(client, connectTimeout.Token);
                    Connections++;
                    backoff.Reset();
                    MqttLog.Connected(_logger, _broker, _options.ClientId, _topics, connected.IsSessionPresent);
                    reason = await lost.Task.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    reason = e is OperationCanceledException ? $"no connection within {ConnectTimeout}" : Describe(e);
                }

                _metrics.MqttReconnect(_tenant);
                var delay = backoff.NextDelay();
                MqttLog.ConnectionLost(_logger, _broker, reason, delay);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _connectionLost, null);
            if (client.IsConnected)
            {
                // A clean DISCONNECT: the broker keeps the session (and queues QoS 1 messages) for SessionExpiry.
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), quick.Token);
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    // Going away anyway.
                }
            }

            MqttLog.Stopped(_logger, Statistics);
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        // Raised for failed connects too; only a connection that was up is waited on by the loop.
        if (e.ClientWasConnected)
        {
            string reason = e.Exception is { } exception ? Describe(exception)
                : e.ReasonString is { Length: > 0 } text ? $"disconnected ({e.Reason}: {text})"
                : $"disconnected ({e.Reason})";
            Volatile.Read(ref _connectionLost)?.TrySetResult(reason);
        }

        return Task.CompletedTask;
    }

    /// <summary>One message: parse, count, pass on. Synchronous unless the pipe to the batcher is full.</summary>
    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        var outcome = _parser.Parse(message.Payload, _time.GetUtcNow().ToUnixTimeMilliseconds(), out var reading);
        Statistics.Count(outcome);
        _metrics.MqttMessage(_tenant, MqttStatistics.OutcomeTags[(int)outcome]);
        if (outcome != MqttOutcome.Accepted)
        {
            if (MqttStatistics.IsRejection(outcome))
            {
                _rejections.Report(outcome, message.Topic, message.Payload);
            }

            return Task.CompletedTask; // acknowledged: a refused message would only be refused again
        }

        e.AutoAcknowledge = false; // acknowledged by the receipt, once stored
        reading = reading with { Receipt = new Receipt(e) };
        return _readings.Writer.TryWrite(reading) ? Task.CompletedTask : WriteSlowlyAsync(reading);
    }

    private async Task WriteSlowlyAsync(SensorReading reading)
    {
        try
        {
            await _readings.Writer.WriteAsync(reading, _stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping with the pipe full: the message stays unacknowledged, so that a kept session
            // has the broker deliver it again after the restart.
        }
    }

    /// <summary>Sends the PUBACK of one message when its reading is stored.</summary>
    private sealed class Receipt(MqttApplicationMessageReceivedEventArgs message) : IReadingReceipt
    {
        public async Task StoredAsync()
        {
            try
            {
                await message.AcknowledgeAsync(CancellationToken.None);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // The connection that brought it is gone: the broker sends it again on the next one,
                // and the batcher then finds it at or below its sensor's stored time (a duplicate).
            }
        }
    }

    private async Task SubscribeAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (string topic in _options.Topics)
        {
            subscribe.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var result = await client.SubscribeAsync(subscribe.Build(), cancellationToken);
        foreach (var item in result.Items)
        {
            if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            {
                MqttLog.SubscriptionRefused(_logger, _broker, item.TopicFilter.Topic, item.ResultCode.ToString());
            }
        }
    }

    private MqttClientOptions BuildClientOptions()
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(_options.ClientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(ConnectTimeout)
            .WithReceiveMaximum((ushort)_options.ReceiveMaximum)
            .WithCleanStart(_options.SessionExpiry == TimeSpan.Zero)
            .WithSessionExpiryInterval((uint)_options.SessionExpiry.TotalSeconds);
        if (!string.IsNullOrEmpty(_options.Username))
        {
            builder.WithCredentials(_options.Username, _options.Password ?? string.Empty);
        }

        if (_options.UseTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls(true).WithTargetHost(_options.Host);
                if (_trustRoots is not null)
                {
                    tls.WithCertificateValidationHandler(IsTrustedBroker);
                }
            });
        }

        return builder.Build();
    }

    /// <summary>With <see cref="MqttOptions.TrustRoots"/>: the broker's certificate must chain to those CAs and name the host.</summary>
    private bool IsTrustedBroker(MqttClientCertificateValidationEventArgs e)
    {
        if (e.Certificate is null || (e.SslPolicyErrors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData());
        return Pki.CertificateTrust.IsTrusted(certificate, _trustRoots!, out _, intermediates: e.Chain?.ChainElements);
    }

    private static string Describe(Exception e) =>
        e.InnerException is { } inner && e is MqttCommunicationException ? $"{e.Message} ({inner.Message})" : e.Message;

    /// <summary>What a broker that is down, refuses or drops us throws; anything else is a bug and propagates.</summary>
    private static bool IsConnectionFailure(Exception e) =>
        e is MqttCommunicationException or SocketException or IOException or OperationCanceledException or TimeoutException
            or InvalidOperationException or System.Security.Authentication.AuthenticationException;
}
