using System.Globalization;
using System.Net;

namespace Convoy.Pki;

/// <summary>
/// The operators' command-line PKI: make a CA, issue server and device certificates (PEM, ECDSA
/// P-256), revoke a certificate into a CRL the collector follows. Run as
/// <c>Convoy.Collector pki &lt;command&gt; [--option value ...]</c>.
/// </summary>
public static class PkiCommands
{
    public const string Help = """
        Convoy PKI: certificates for collectors and devices (PEM, ECDSA P-256).

          pki create-ca     --out DIR [--name "Convoy Device CA"] [--days 3650] [--tenant TENANT]
                            writes DIR/ca.crt and DIR/ca.key (keep ca.key offline); with --tenant,
                            a CA of that tenant only: the collector refuses what it signs for any other
          pki issue-server  --ca DIR --out DIR --dns NAME[,NAME...] [--ip ADDR[,ADDR...]] [--days 397]
                            writes DIR/server.crt and DIR/server.key
          pki issue-device  --ca DIR --out DIR --tenant TENANT (--device ID | --devices-file FILE) [--days 825]
                            writes DIR/devices/TENANT/ID.crt and .key for one device, or one per line of FILE
          pki revoke        --ca DIR --cert FILE [--crl DIR/revoked.crl] [--days 30]
                            adds the certificate to the CRL (point Collector:RevocationList at it)
        """;

    /// <summary>Runs one command; returns the process exit code (0 done, 2 bad usage or input).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            output.WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var options = Options(args.AsSpan(1));
            switch (args[0])
            {
                case "create-ca":
                {
                    string folder = Required(options, "--out");
                    string? tenant = options.GetValueOrDefault("--tenant");
                    using var ca = CertificateIssuer.CreateCertificateAuthority(
                        options.GetValueOrDefault("--name", tenant is null ? "Convoy Device CA" : $"Convoy Device CA for {tenant}"), Days(options, 3650), tenant);
                    CertificateIssuer.WritePem(ca, Path.Combine(folder, "ca.crt"), Path.Combine(folder, "ca.key"));
                    output.WriteLine($"CA {ca.Subject} (serial {ca.SerialNumber}{(tenant is null ? string.Empty : ", tenant " + tenant)}) written to {Path.GetFullPath(folder)}");
                    return 0;
                }

                case "issue-server":
                {
                    using var ca = Authority(options);
                    string folder = Required(options, "--out");
                    string[] names = Required(options, "--dns").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var addresses = options.TryGetValue("--ip", out string? ips)
                        ? ips.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToArray()
                        : [];
                    using var server = CertificateIssuer.IssueServer(ca, names, addresses, Days(options, 397));
                    CertificateIssuer.WritePem(server, Path.Combine(folder, "server.crt"), Path.Combine(folder, "server.key"));
                    output.WriteLine($"Server certificate for {string.Join(", ", names)} (serial {server.SerialNumber}) written to {Path.GetFullPath(folder)}");
                    return 0;
                }

                case "issue-device":
                {
                    using var ca = Authority(options);
                    string folder = Required(options, "--out");
                    string tenant = Required(options, "--tenant");
                    IEnumerable<string> devices = options.TryGetValue("--device", out string? one) ? [one]
                        : options.TryGetValue("--devices-file", out string? file) ? File.ReadAllLines(file).Select(static l => l.Trim()).Where(static l => l.Length > 0 && !l.StartsWith('#'))
                        : throw new ArgumentException("issue-device needs --device ID or --devices-file FILE");
                    int issued = 0;
                    foreach (string device in devices)
                    {
                        var identity = DeviceIdentity.Create(tenant, device);
                        using var certificate = CertificateIssuer.IssueDevice(ca, identity, Days(options, 825));
                        string target = Path.Combine(folder, "devices", tenant);
                        CertificateIssuer.WritePem(certificate, Path.Combine(target, device + ".crt"), Path.Combine(target, device + ".key"));
                        output.WriteLine($"{identity.ToUri()} serial {certificate.SerialNumber}");
                        issued++;
                    }

                    output.WriteLine($"{issued} device certificate(s) written to {Path.GetFullPath(Path.Combine(folder, "devices", tenant))}");
                    return 0;
                }

                case "revoke":
                {
                    using var ca = Authority(options);
                    var certificate = CertificateIssuer.LoadPemCertificates(Required(options, "--cert"))[0];
                    string crl = options.GetValueOrDefault("--crl", Path.Combine(Required(options, "--ca"), "revoked.crl"));
                    RevocationList.Revoke(ca, certificate, crl, Days(options, 30));
                    output.WriteLine($"Revoked {certificate.Subject} (serial {certificate.SerialNumber}); CRL {Path.GetFullPath(crl)} now lists {RevocationList.Load(crl).Count}");
                    return 0;
                }

                default:
                    errors.WriteLine($"Unknown pki command '{args[0]}'.");
                    errors.WriteLine(Help);
                    return 2;
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            errors.WriteLine($"pki {args[0]}: {e.Message}");
            return 2;
        }
    }

    private static Dictionary<string, string> Options(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --option value, found '{args[i]}'");
            }

            options[args[i]] = args[i + 1];
        }

        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out string? value) ? value : throw new ArgumentException($"{name} is required");

    private static TimeSpan Days(Dictionary<string, string> options, int fallback) =>
        TimeSpan.FromDays(options.TryGetValue("--days", out string? days)
            ? int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out int d) && d is > 0 and <= 36500 ? d : throw new ArgumentException($"--days must be 1..36500, was '{days}'")
            : fallback);

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Authority(Dictionary<string, string> options)
    {
        string folder = Required(options, "--ca");
        return CertificateIssuer.LoadPem(Path.Combine(folder, "ca.crt"), Path.Combine(folder, "ca.key"));
    }
}
