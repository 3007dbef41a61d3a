using System.Security.Cryptography;
using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;
using Microsoft.IdentityModel.Tokens;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Partner keys from a JWKS file are followed on disk: an issuer's new key works once the file
/// has it, and a key removed from the file stops working, without restarting the collector.
/// </summary>
public sealed class PartnerKeyRotationTests : IAsyncLifetime
{
    private const string Tenant = "rotating";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-jwks-" + Guid.NewGuid().ToString("N"));
    private readonly RSA _first = RSA.Create(2048);
    private readonly ECDsa _second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private TestCollector _collector = null!;

    private string JwksFile => Path.Combine(_folder, "jwks.json");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(JwksFile, TestPartner.Jwks(("first", _first)));
        _collector = await TestCollector.StartAsync([Tenant],
            $"--Collector:Partners:Issuer={TestPartner.Issuer}", $"--Collector:Partners:JwksFile={JwksFile}");
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _first.Dispose();
        _second.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task JwksFile_IsFollowed_NewKeyWorksAndRemovedKeyStops_WithoutRestart()
    {
        var first = new SigningCredentials(new RsaSecurityKey(_first) { KeyId = "first" }, SecurityAlgorithms.RsaSha256);
        var second = new SigningCredentials(new ECDsaSecurityKey(_second) { KeyId = "second" }, SecurityAlgorithms.EcdsaSha256);
        using var channel = TestPartner.Channel(_collector);
        var client = new Ingest.IngestClient(channel);
        ulong sequence = 0;
        async Task<StatusCode> UploadAsync(SigningCredentials key)
        {
            try
            {
                await client.UploadAsync(new UploadRequest { Batches = { TestDevice.Batch("truck-1", ++sequence) } },
                    TestPartner.Bearer(TestPartner.Mint(key, Tenant, new[] { "ingest" })), DateTime.UtcNow.AddSeconds(30));
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }

        Assert.Equal(StatusCode.OK, await UploadAsync(first));
        Assert.Equal(StatusCode.Unauthenticated, await UploadAsync(second));

        // The issuer rotates: the new key is published beside the old one (written whole, then renamed over).
        Replace(TestPartner.Jwks(("first", _first), ("second", _second)));
        await Eventually.HoldsAsync(async () => await UploadAsync(second) == StatusCode.OK, "a token of the new key to be accepted");
        Assert.Equal(StatusCode.OK, await UploadAsync(first));

        // ...and later the old key is withdrawn.
        Replace(TestPartner.Jwks(("second", _second)));
        await Eventually.HoldsAsync(async () => await UploadAsync(first) == StatusCode.Unauthenticated, "a token of the withdrawn key to be refused");
        Assert.Equal(StatusCode.OK, await UploadAsync(second));
    }

    private void Replace(string jwks)
    {
        string temporary = JwksFile + ".new";
        File.WriteAllText(temporary, jwks);
        File.Move(temporary, JwksFile, overwrite: true);
    }
}
