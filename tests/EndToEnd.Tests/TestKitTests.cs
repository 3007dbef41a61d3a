using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace Convoy.EndToEnd.Tests;

/// <summary>The kit's own promises, since every other test leans on them.</summary>
public sealed partial class TestKitTests
{
    [Fact]
    public void TestLogs_AnErrorTheTestDidNotExpect_FailsTheTest()
    {
        using var logs = new TestLogs();
        KafkaWriteFailed(logs.For<TestKitTests>(), 42);

        var failure = Assert.ThrowsAny<XunitException>(logs.AssertNoUnexpectedErrors);

        Assert.Contains("KafkaWriteFailed: Kafka refused 42", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TestLogs_AnErrorTheTestExpects_OrAWarning_DoesNotFailIt()
    {
        using var logs = new TestLogs().ExpectErrors("TenantRegistryRejected");
        TenantRegistryRejected(logs);
        StreamReplaced(logs);

        logs.AssertNoUnexpectedErrors();
        Assert.Equal(1, logs.Count("StreamReplaced"));
    }

    [Fact]
    public async Task TestCollector_ThatLoggedAnUnexpectedError_FailsOnDispose()
    {
        var collector = await TestCollector.StartAsync(["kit"]);
        CertificatesReloadFailed(collector.Logs);

        var failure = await Assert.ThrowsAnyAsync<XunitException>(async () => await collector.DisposeAsync());

        Assert.Contains("CertificatesReloadFailed", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eventually_ThatNeverHolds_FailsNamingWhatItAwaited()
    {
        var failure = await Assert.ThrowsAnyAsync<XunitException>(
            () => Eventually.HoldsAsync(() => false, TimeSpan.FromMilliseconds(200), "the truck to come back"));

        Assert.Contains("the truck to come back", failure.Message, StringComparison.Ordinal);
    }

    [LoggerMessage(EventId = 7, EventName = "KafkaWriteFailed", Level = LogLevel.Error, Message = "Kafka refused {Sequence}")]
    private static partial void KafkaWriteFailed(ILogger logger, ulong sequence);

    [LoggerMessage(EventId = 51, EventName = "TenantRegistryRejected", Level = LogLevel.Error, Message = "tenants.json is not valid JSON")]
    private static partial void TenantRegistryRejected(ILogger logger);

    [LoggerMessage(EventId = 22, EventName = "StreamReplaced", Level = LogLevel.Warning, Message = "a newer stream took over")]
    private static partial void StreamReplaced(ILogger logger);

    [LoggerMessage(EventId = 4, EventName = "CertificatesReloadFailed", Level = LogLevel.Error, Message = "the server key does not match its certificate")]
    private static partial void CertificatesReloadFailed(ILogger logger);
}
