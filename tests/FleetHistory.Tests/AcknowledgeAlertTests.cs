using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.Kafka.Embedded;
using Confluent.Kafka;
using Grpc.Core;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// AcknowledgeAlert through the real program and an embedded Kafka: the acknowledgement is an
/// AlertAcknowledged event on the tenant's alert topic (keyed by device, with the record header),
/// answered once Kafka has it, folded back into the alert history by the projector; another
/// tenant's alert is the same NOT_FOUND as a missing one; bad requests and a Kafka that does not
/// take the event are refused precisely.
/// </summary>
public sealed class AcknowledgeAlertTests() : ReadSideTest("fleet-ack")
{

    [Theory]
    [InlineData("viewer")]
    [InlineData("admin")]
    public async Task AnyRole_AcknowledgesAnAlert_AsAnEventOnTheTenantsTopic_ThatTheHistoryFoldsIn(string role)
    {
        var alert = await ProjectedAlertAsync("acme", "truck-1");
        var client = History.Client();
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var answer = await client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { AlertId = alert.AlertId, Note = "driver called, door was open" },
            Caller("acme", role));

        Assert.Equal((alert.AlertId, "truck-1", AlertState.Firing), (answer.AlertId, answer.DeviceId, answer.State));
        Assert.Equal(("dispatch-app", "driver called, door was open"), (answer.Acknowledgement.By, answer.Acknowledgement.Note));
        Assert.InRange(answer.Acknowledgement.TimeUnixMs, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var record = KafkaTopics.ReadAll(Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic("acme"))[^1];
        Assert.Equal("truck-1", record.Message.Key);
        Assert.Equal(AlertRecordHeaders.AlertAcknowledged, KafkaTopics.Header(record, AlertRecordHeaders.Record));
        var written = AlertAcknowledged.Parser.ParseFrom(record.Message.Value);
        Assert.Equal((alert.AlertId, "acme", "truck-1"), (written.AlertId, written.TenantId, written.DeviceId));
        Assert.Equal(answer.Acknowledgement, written.Acknowledgement);

        var listed = await Eventually.ReturnsAsync(() => client.ListAlertsAsync(new ListAlertsRequest(), Caller("acme")).ResponseAsync,
            r => r.Alerts.Count == 1 && r.Alerts[0].Acknowledgement is not null, Eventually.DefaultTimeout, "the acknowledgement projected");
        Assert.Equal(answer.Acknowledgement, listed.Alerts[0].Acknowledgement);
        var state = await client.GetFleetStateAsync(new GetFleetStateRequest(), Caller("acme"));
        Assert.Equal(answer.Acknowledgement, Assert.Single(Assert.Single(state.Devices).FiringAlerts).Acknowledgement);
        Assert.Equal(0, History.Logs.Count("UnreadableRecord"));
    }

    [Fact]
    public async Task AnotherTenantsAlert_IsNotFound_ExactlyAsAMissingOne()
    {
        var alert = await ProjectedAlertAsync("acme", "truck-1");
        var client = History.Client();
        string missing = Guid.NewGuid().ToString("N");

        var theirs = await Assert.ThrowsAsync<RpcException>(() => client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { AlertId = alert.AlertId, Note = "mine now" }, Caller("globex")).ResponseAsync);
        var nobodys = await Assert.ThrowsAsync<RpcException>(() => client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { AlertId = missing, Note = "mine now" }, Caller("globex")).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, StatusCode.NotFound), (theirs.StatusCode, nobodys.StatusCode));
        Assert.Equal(nobodys.Status.Detail.Replace(missing, alert.AlertId, StringComparison.Ordinal), theirs.Status.Detail);
        Assert.Single(KafkaTopics.ReadAll(Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic("acme")));
    }

    [Theory]
    [InlineData("not-an-id", "a note", "alert_id 'not-an-id' is not an alert id")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", "a note", "32 lowercase hex characters")]
    [InlineData("0123456789abcdef0123456789abcdef", "", "note is empty")]
    [InlineData("0123456789abcdef0123456789abcdef", "   ", "note is empty")]
    [InlineData("0123456789abcdef0123456789abcdef", null, "note has 501 characters; keep it to 500")]
    public async Task ABadRequest_IsRefused_SayingWhatToChange(string alertId, string? note, string says)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => History.Client().AcknowledgeAlertAsync(
            new AcknowledgeAlertRequest { AlertId = alertId, Note = note ?? new string('x', 501) }, Caller("acme")).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(says, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenKafkaDoesNotTakeTheEvent_TheCallIsUnavailable_AndAcknowledgingAgainWorks()
    {
        var alert = await ProjectedAlertAsync("acme", "truck-2");
        var client = History.Client();
        Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { AlertId = alert.AlertId, Note = "on it" }, Caller("acme")).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("acknowledge again", refused.Status.Detail, StringComparison.Ordinal);
        var again = await client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { AlertId = alert.AlertId, Note = "on it" }, Caller("acme"));
        Assert.Equal("on it", again.Acknowledgement.Note);
        Assert.Equal(2, KafkaTopics.ReadAll(Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic("acme")).Count);
    }


    /// <summary>A firing alert as the engine writes it, once the history has projected it.</summary>
    private async Task<Alert> ProjectedAlertAsync(string tenant, string device)
    {
        var alert = new Alert
        {
            AlertId = Guid.NewGuid().ToString("N"), TenantId = tenant, DeviceId = device, RuleId = "reefer-too-warm", Severity = Severity.Critical, State = AlertState.Firing,
            StartTimeUnixMs = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), TriggerValue = 9.5, TriggerUnit = "degC", Message = "zone 1 at 9.5 degC, above 8 degC for 5 min",
        };
        KafkaTopics.WriteAlerts(Kafka.BootstrapServers, tenant, [alert]);
        await Eventually.ReturnsAsync(() => History.Client().ListAlertsAsync(new ListAlertsRequest(), Caller(tenant)).ResponseAsync,
            r => r.Alerts.Any(a => a.AlertId == alert.AlertId), Eventually.DefaultTimeout, "the alert projected");
        return alert;
    }
}
