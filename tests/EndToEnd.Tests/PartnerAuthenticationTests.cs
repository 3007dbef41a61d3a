using System.Security.Cryptography;
using System.Text;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.EndToEnd.Tests;

/// <summary>One collector trusting a partner issuer's RSA and EC keys, shared by the partner tests.</summary>
public sealed class PartnerCollectorFixture : IAsyncLifetime
{
    public const string TenantA = "partner-a";
    public const string TenantB = "partner-b";

    /// <summary>The tenant every refused token names: its topic must stay empty.</summary>
    public const string Refused = "partner-refused";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-partner-" + Guid.NewGuid().ToString("N"));

    internal TestPartner Partner { get; private set; } = null!;

    internal TestCollector Collector { get; private set; } = null!;

    /// <summary>This collector's refused calls from its start (its own meters: other tests' collectors do not count).</summary>
    internal MetricCollector<long> Refusals { get; private set; } = null!;

    /// <summary>This collector's open alert watches from its start: the sum is the number open now.</summary>
    internal MetricCollector<long> OpenAlertWatches { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Partner = new TestPartner(_folder);
        Collector = await TestCollector.StartAsync([TenantA, TenantB, Refused], Partner.Switches());
        Refusals = Collector.Metric("convoy.collector.access.refused");
        OpenAlertWatches = Collector.Metric("convoy.collector.alert_watches.open");
    }

    public async Task DisposeAsync()
    {
        Refusals.Dispose();
        OpenAlertWatches.Dispose();
        await Collector.DisposeAsync();
        Partner.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// Partners authenticate with a JWT instead of a certificate: only a token signed by a configured
/// key with RS256 or ES256, for this issuer and audience, within its lifetime, naming its tenant
/// in 'tid' and holding the role is accepted; the tenant comes from 'tid' only.
/// </summary>
public sealed class PartnerAuthenticationTests : IClassFixture<PartnerCollectorFixture>, IDisposable
{
    private const string Refused = PartnerCollectorFixture.Refused;
    private readonly PartnerCollectorFixture _fixture;
    private readonly GrpcChannel _channel;
    private readonly Ingest.IngestClient _client;

    public PartnerAuthenticationTests(PartnerCollectorFixture fixture)
    {
        _fixture = fixture;
        _channel = TestPartner.Channel(fixture.Collector);
        _client = new Ingest.IngestClient(_channel);
    }

    private TestPartner Partner => _fixture.Partner;

    private TestCollector Collector => _fixture.Collector;

    public static TheoryData<string, StatusCode, string> RefusedTokens => new()
    {
        { "alg none (unsigned)", StatusCode.Unauthenticated, "token-algorithm" },
        { "HS256 signed with the RSA public key as the secret", StatusCode.Unauthenticated, "token-algorithm" },
        { "unknown kid", StatusCode.Unauthenticated, "token-unknown-key" },
        { "known kid, signed by another key", StatusCode.Unauthenticated, "token-bad-signature" },
        // Without a kid every configured key is tried; none verifies it.
        { "no kid, signed by another key", StatusCode.Unauthenticated, "token-unknown-key" },
        { "signature tampered", StatusCode.Unauthenticated, "token-bad-signature" },
        { "no tid", StatusCode.Unauthenticated, "token-no-tenant" },
        { "tid not a tenant id", StatusCode.Unauthenticated, "token-no-tenant" },
        { "expired", StatusCode.Unauthenticated, "token-expired" },
        { "not yet valid", StatusCode.Unauthenticated, "token-not-yet-valid" },
        { "wrong issuer", StatusCode.Unauthenticated, "token-wrong-issuer" },
        { "wrong audience", StatusCode.Unauthenticated, "token-wrong-audience" },
        { "ES384 on a P-384 key", StatusCode.Unauthenticated, "token-algorithm" },
        { "not a JWT", StatusCode.Unauthenticated, "token-malformed" },
        { "role alerts:read only", StatusCode.PermissionDenied, "missing-role" },
        { "no roles", StatusCode.PermissionDenied, "missing-role" },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Upload_WithRefusedToken_IsRefusedWithItsStatus_AndNothingIsWritten(string token, StatusCode expected, string reason)
    {
        string jwt = RefusedToken(token);
        long before = _fixture.Refusals.Sum(("reason", reason));

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(jwt, TestDevice.Batch("truck-r", 1)));

        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
        await Eventually.HoldsAsync(() => _fixture.Refusals.Sum(("reason", reason)) > before, TimeSpan.FromSeconds(5),
            $"the refusal to be counted as {reason}");
        Assert.Empty(Collector.Telemetry(Refused));
    }

    [Fact]
    public async Task RefusedToken_WithANewlineInItsSub_IsAuditedAsUnverified_AndCannotForgeALogLine()
    {
        const string forged = "mallory\ninfo: Convoy.Collector[1]\n      partner accepted";
        string jwt = TestPartner.Mint(null, Refused, new[] { "ingest" }, subject: forged);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(jwt, TestDevice.Batch("truck-r", 1)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        var audit = await Eventually.ReturnsAsync(
            () => Task.FromResult(Collector.Logs.Collector.GetSnapshot().LastOrDefault(r => r.Id.Name == "AccessRefused" && r.Message.Contains("mallory", StringComparison.Ordinal))),
            r => r is not null, TimeSpan.FromSeconds(10), "the refusal to be audited");
        string principal = audit!.StructuredState!.Single(p => p.Key == "Principal").Value!;
        Assert.Equal("unverified partner, token sub \"mallory\\ninfo: Convoy.Collector[1]\\n      partner accepted\"", principal);
        Assert.DoesNotContain('\n', audit.Message);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task Upload_WithValidToken_IsAcknowledged_AndLandsInTheTokensTenantTopic(string algorithm)
    {
        string device = "truck-" + algorithm.ToLowerInvariant();
        string jwt = TestPartner.Mint(algorithm == "RS256" ? Partner.RsaSigning : Partner.EcSigning, PartnerCollectorFixture.TenantA, new[] { "ingest" });

        var response = await UploadAsync(jwt, TestDevice.Batch(device, 1), TestDevice.Batch(device, 2));

        var ack = Assert.Single(response.Acks);
        Assert.Equal(device, ack.DeviceId);
        Assert.Equal(2UL, ack.AckedSequence);
        var records = Collector.Telemetry(PartnerCollectorFixture.TenantA).FindAll(r => r.Message.Key == device);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(PartnerCollectorFixture.TenantA, KafkaTopics.Header(r, TelemetryRecordHeaders.Tenant)));
    }

    [Fact]
    public async Task Upload_ForSeveralDevicesOfItsTenant_AcknowledgesEachDevice()
    {
        string jwt = TestPartner.Mint(Partner.EcSigning, PartnerCollectorFixture.TenantA, "alerts:read ingest");

        var response = await UploadAsync(jwt, TestDevice.Batch("multi-1", 1), TestDevice.Batch("multi-2", 1), TestDevice.Batch("multi-1", 2));

        Assert.Equal(["multi-1:2", "multi-2:1"], response.Acks.Select(a => $"{a.DeviceId}:{a.AckedSequence}").Order());
        var records = Collector.Telemetry(PartnerCollectorFixture.TenantA);
        Assert.Equal(2, records.Count(r => r.Message.Key == "multi-1"));
        Assert.Single(records, r => r.Message.Key == "multi-2");
    }

    [Fact]
    public async Task Upload_OfABatchNamingAnotherTenant_IsPermissionDenied_AndNothingIsWritten()
    {
        string jwt = TestPartner.Mint(Partner.RsaSigning, PartnerCollectorFixture.TenantA, new[] { "ingest" });
        var foreign = TestDevice.Batch("crossing-1", 1);
        foreign.TenantId = PartnerCollectorFixture.TenantB;

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(jwt, TestDevice.Batch("crossing-0", 1), foreign));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains(PartnerCollectorFixture.TenantB, error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("nothing was written", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Collector.Telemetry(PartnerCollectorFixture.TenantB), r => r.Message.Key.StartsWith("crossing-", StringComparison.Ordinal));
        Assert.DoesNotContain(Collector.Telemetry(PartnerCollectorFixture.TenantA), r => r.Message.Key.StartsWith("crossing-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_WithValidTokenAndDeviceHeader_IsAcknowledged_AndLands()
    {
        string jwt = TestPartner.Mint(Partner.RsaSigning, PartnerCollectorFixture.TenantA, new[] { "ingest" });
        var headers = TestPartner.Bearer(jwt);
        headers.Add("convoy-device", "streamer-1");
        using var call = _client.Stream(headers, DateTime.UtcNow.AddSeconds(30));
        await call.ResponseHeadersAsync;

        await call.RequestStream.WriteAsync(TestDevice.Batch("streamer-1", 1));
        await call.RequestStream.CompleteAsync();
        var acks = new List<IngestAck>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(call.ResponseStream.Current);
        }

        Assert.Equal(1UL, acks[^1].AckedSequence);
        Assert.Single(Collector.Telemetry(PartnerCollectorFixture.TenantA), r => r.Message.Key == "streamer-1");
    }

    [Fact]
    public async Task Stream_EndsUnauthenticated_WhenThePartnersTokenExpires_AfterAckingWhatLanded()
    {
        var now = DateTime.UtcNow;
        // Long enough for the first batch to be acked on a busy CI machine (3 s was not, once), short
        // enough to wait for.
        string jwt = TestPartner.Mint(Partner.EcSigning, PartnerCollectorFixture.TenantA, new[] { "ingest" }, notBefore: now.AddMinutes(-1), expires: now.AddSeconds(8));
        var headers = TestPartner.Bearer(jwt);
        headers.Add("convoy-device", "short-lived-1");
        using var call = _client.Stream(headers, DateTime.UtcNow.AddSeconds(30));
        await call.ResponseHeadersAsync;
        await call.RequestStream.WriteAsync(TestDevice.Batch("short-lived-1", 1));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        ulong acked = call.ResponseStream.Current.AckedSequence;

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(1UL, acked);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("token expired; everything up to sequence 1 is safe", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_WithValidTokenButNoDeviceHeader_IsInvalidArgumentNamingTheHeader()
    {
        string jwt = TestPartner.Mint(Partner.RsaSigning, PartnerCollectorFixture.TenantA, new[] { "ingest" });
        using var call = _client.Stream(TestPartner.Bearer(jwt), DateTime.UtcNow.AddSeconds(30));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("convoy-device", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_WithNoCredentialAtAll_IsUnauthenticatedSayingWhatToPresent()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.UploadAsync(new UploadRequest { Batches = { TestDevice.Batch("anonymous", 1) } }, deadline: DateTime.UtcNow.AddSeconds(30)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("certificate", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Bearer", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Collector.Telemetry(PartnerCollectorFixture.TenantA), r => r.Message.Key == "anonymous");
    }

    private string RefusedToken(string name)
    {
        var now = DateTime.UtcNow;
        string[] ingest = ["ingest"];
        switch (name)
        {
            case "alg none (unsigned)":
                return TestPartner.Mint(null, Refused, ingest);
            case "HS256 signed with the RSA public key as the secret":
                var secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(File.ReadAllText(Partner.RsaKeyFile))) { KeyId = TestPartner.RsaKid };
                return TestPartner.Mint(new SigningCredentials(secret, SecurityAlgorithms.HmacSha256), Refused, ingest);
            case "unknown kid":
            {
                using var stranger = RSA.Create(2048);
                return TestPartner.Mint(new SigningCredentials(new RsaSecurityKey(stranger) { KeyId = "stranger" }, SecurityAlgorithms.RsaSha256), Refused, ingest);
            }

            case "known kid, signed by another key":
            {
                using var impostor = RSA.Create(2048);
                return TestPartner.Mint(new SigningCredentials(new RsaSecurityKey(impostor) { KeyId = TestPartner.RsaKid }, SecurityAlgorithms.RsaSha256), Refused, ingest);
            }

            case "no kid, signed by another key":
            {
                using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return TestPartner.Mint(new SigningCredentials(new ECDsaSecurityKey(impostor), SecurityAlgorithms.EcdsaSha256), Refused, ingest);
            }

            case "signature tampered":
                string good = TestPartner.Mint(Partner.RsaSigning, Refused, ingest);
                int dot = good.LastIndexOf('.');
                return good[..(dot + 1)] + (good[dot + 1] == 'A' ? 'B' : 'A') + good[(dot + 2)..];
            case "no tid":
                return TestPartner.Mint(Partner.RsaSigning, null, ingest);
            case "tid not a tenant id":
                return TestPartner.Mint(Partner.RsaSigning, "Not/A/Tenant", ingest);
            case "expired":
                return TestPartner.Mint(Partner.EcSigning, Refused, ingest, notBefore: now.AddMinutes(-30), expires: now.AddMinutes(-5));
            case "not yet valid":
                return TestPartner.Mint(Partner.EcSigning, Refused, ingest, notBefore: now.AddMinutes(5), expires: now.AddMinutes(30));
            case "wrong issuer":
                return TestPartner.Mint(Partner.RsaSigning, Refused, ingest, issuer: "https://someone-else.test");
            case "wrong audience":
                return TestPartner.Mint(Partner.RsaSigning, Refused, ingest, audience: "another-service");
            case "ES384 on a P-384 key":
            {
                using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
                return TestPartner.Mint(new SigningCredentials(new ECDsaSecurityKey(p384) { KeyId = TestPartner.EcKid }, SecurityAlgorithms.EcdsaSha384), Refused, ingest);
            }

            case "not a JWT":
                return "this-is-not-a-token";
            case "role alerts:read only":
                return TestPartner.Mint(Partner.RsaSigning, Refused, new[] { "alerts:read" });
            case "no roles":
                return TestPartner.Mint(Partner.RsaSigning, Refused, roles: null);
            default:
                throw new ArgumentException(name, nameof(name));
        }
    }

    private async Task<UploadResponse> UploadAsync(string jwt, params TelemetryBatch[] batches) =>
        await _client.UploadAsync(new UploadRequest { Batches = { batches } }, TestPartner.Bearer(jwt), DateTime.UtcNow.AddSeconds(30));

    public void Dispose()
    {
        _channel.Dispose();
    }
}
