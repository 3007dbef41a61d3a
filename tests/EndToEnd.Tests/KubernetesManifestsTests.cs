using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The Kubernetes manifests in deploy/kubernetes, checked statically (no cluster runs here): each
/// document is a well-formed object; every Deployment runs a program of this repository with only
/// documented settings, probes /healthz and /readyz on a port it declares and the program serves
/// them on, and runs as non-root with a read-only root; every autoscaler targets a Deployment of
/// the manifests, scales on CPU, and where it scales on lag names a metric the program exports and
/// the adapter's rules serve.
/// </summary>
public sealed partial class KubernetesManifestsTests
{
    private static readonly string Folder = Repository.PathOf("deploy", "kubernetes");

    private static readonly List<YamlMappingNode> Documents = [.. Directory.GetFiles(Folder, "*.yaml").Order(StringComparer.Ordinal).SelectMany(Load)];

    /// <summary>Which setting names each program's metrics or HTTP port (where it serves /metrics and the probes).</summary>
    private static readonly Dictionary<string, string> ProbePortSetting = new(StringComparer.Ordinal)
    {
        ["convoy-collector"] = "Collector__MetricsPort",
        ["convoy-alert-engine"] = "AlertEngine__MetricsPort",
        ["convoy-fleet-history"] = "FleetHistory__HttpPort",
        ["convoy-tenant-console"] = "TenantConsole__Port",
    };

    [Fact]
    public void EveryDocument_IsAKubernetesObject_WithAName()
    {
        Assert.NotEmpty(Documents);
        Assert.All(Documents, static d =>
        {
            Assert.Matches("^[a-z0-9.]*/?v[0-9a-z]+$", Text(d, "apiVersion"));
            Assert.False(string.IsNullOrEmpty(Text(d, "kind")));
            Assert.Matches("^[a-z0-9-]+$", Text(Map(d, "metadata"), "name"));
        });
    }

    [Fact]
    public void EveryDeployment_RunsAProgramWithDocumentedSettings_ProbedWhereItServesTheProbes_AsNonRootOnAReadOnlyRoot()
    {
        string reference = string.Concat(Directory.GetFiles(Repository.PathOf("docs", "configuration"), "*.md").Select(File.ReadAllText));
        var deployments = Of("Deployment");
        Assert.Equal(ProbePortSetting.Keys.Order(StringComparer.Ordinal), deployments.Select(static d => Text(Map(d, "metadata"), "name")).Order(StringComparer.Ordinal));
        foreach (var deployment in deployments)
        {
            string name = Text(Map(deployment, "metadata"), "name");
            var pod = Map(Map(Map(deployment, "spec"), "template"), "spec");
            Assert.Equal("true", Text(Map(pod, "securityContext"), "runAsNonRoot"));
            var container = (YamlMappingNode)Assert.Single(Seq(pod, "containers"));
            Assert.Equal($"localhost/{name}:latest", Text(container, "image"));
            Assert.Equal("true", Text(Map(container, "securityContext"), "readOnlyRootFilesystem"));
            Assert.NotNull(Map(Map(container, "resources"), "requests"));

            var env = Seq(container, "env").Cast<YamlMappingNode>().ToDictionary(static e => Text(e, "name"), static e => e);
            foreach (string key in env.Keys.Where(static k => Setting().IsMatch(k)))
            {
                Assert.True(reference.Contains($"`{key.Replace("__", ":", StringComparison.Ordinal)}`", StringComparison.Ordinal), $"{name} sets {key}, which docs/configuration does not document");
            }

            // The probes hit the port the program is told to serve them on, by the name the container gives it.
            string probePort = Text(env[ProbePortSetting[name]], "value");
            var ports = Seq(container, "ports").Cast<YamlMappingNode>().ToDictionary(static p => Text(p, "name"), static p => Text(p, "containerPort"));
            foreach (var (probe, path) in new[] { ("readinessProbe", "/readyz"), ("livenessProbe", "/healthz") })
            {
                var get = Map(Map(container, probe), "httpGet");
                Assert.Equal(path, Text(get, "path"));
                Assert.Equal(probePort, ports[Text(get, "port")]);
            }

            Assert.Equal("Production", Text(env["DOTNET_ENVIRONMENT"], "value"));
        }
    }

    [Fact]
    public void EveryAutoscaler_TargetsADeploymentOfTheManifests_OnCpu_AndOnLagTheProgramExportsAndTheAdapterServes()
    {
        var deployments = Of("Deployment").Select(static d => Text(Map(d, "metadata"), "name")).ToHashSet(StringComparer.Ordinal);
        string adapterRules = Text(Map(Of("ConfigMap").Single(static c => Text(Map(c, "metadata"), "name") == "convoy-prometheus-adapter"), "data"), "config.yaml");
        string sources = string.Concat(Directory.GetFiles(Repository.PathOf("src"), "*Metrics.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        var autoscalers = Of("HorizontalPodAutoscaler");
        Assert.Equal(deployments.Order(StringComparer.Ordinal), autoscalers.Select(static a => Text(Map(Map(a, "spec"), "scaleTargetRef"), "name")).Order(StringComparer.Ordinal));
        foreach (var autoscaler in autoscalers)
        {
            var spec = Map(autoscaler, "spec");
            Assert.Equal("Deployment", Text(Map(spec, "scaleTargetRef"), "kind"));
            Assert.True(int.Parse(Text(spec, "minReplicas"), System.Globalization.CultureInfo.InvariantCulture) >= 2, "at least two replicas, for rolling restarts");
            var metrics = Seq(spec, "metrics").Cast<YamlMappingNode>().ToList();
            Assert.Contains(metrics, static m => Text(m, "type") == "Resource" && Text(Map(m, "resource"), "name") == "cpu");
            foreach (var external in metrics.Where(static m => Text(m, "type") == "External"))
            {
                string metric = Text(Map(Map(external, "external"), "metric"), "name");
                // convoy_alertengine_consumer_lag is the instrument convoy.alertengine.consumer.lag.
                Assert.Contains($"\"{metric.Replace('_', '.')}\"", sources, StringComparison.Ordinal);
                Assert.Contains($"as: {metric} }}", adapterRules, StringComparison.Ordinal);
            }
        }

        Assert.Contains(autoscalers, static a => Seq(Map(a, "spec"), "metrics").Cast<YamlMappingNode>().Any(static m => Text(m, "type") == "External"));
    }

    private static IEnumerable<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(static d => (YamlMappingNode)d.RootNode);
    }

    private static List<YamlMappingNode> Of(string kind) => [.. Documents.Where(d => Text(d, "kind") == kind)];

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? string.Empty : string.Empty;

    /// <summary>Section__Key, the programs' own settings (not DOTNET_ or Logging__).</summary>
    [GeneratedRegex(@"^(?:Collector|AlertEngine|FleetHistory|TenantConsole|Kafka)__[A-Za-z0-9_]+$")]
    private static partial Regex Setting();
}
