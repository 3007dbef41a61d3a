using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The two ways to make the images — deploy/containers/build-images.sh here, without a registry,
/// and deploy/containers/Dockerfile, with one — checked statically against each other and against
/// the Kubernetes manifests that run them: the same image names, the same programs and entry
/// assemblies, the ports each Deployment declares, the user 10001 the pods run as, and a listen
/// address a probe from outside the container reaches. (The images themselves are built and run by
/// deploy/containers/smoke.sh: docs/operations.md, "In containers".)
/// </summary>
public sealed partial class ContainerImagesTests
{
    private static readonly string BuildScript = File.ReadAllText(Repository.PathOf("deploy", "containers", "build-images.sh"));

    private static readonly string Dockerfile = File.ReadAllText(Repository.PathOf("deploy", "containers", "Dockerfile"));

    /// <summary>Each program's line in build-images.sh's project_of: project, entry assembly, listen-address key, ports.</summary>
    private static readonly Dictionary<string, Match> ScriptPrograms = ProgramLine().Matches(BuildScript).ToDictionary(static m => m.Groups["program"].Value, static m => m, StringComparer.Ordinal);

    /// <summary>The Dockerfile's stage for each program (from "FROM base AS program" to the next FROM).</summary>
    private static readonly Dictionary<string, string> DockerStages = ProgramStage().Matches(Dockerfile).ToDictionary(static m => m.Groups["program"].Value, static m => m.Groups["body"].Value, StringComparer.Ordinal);

    /// <summary>The Deployments of deploy/kubernetes, by program (convoy-collector → collector).</summary>
    private static readonly Dictionary<string, YamlMappingNode> Deployments = LoadDeployments();

    [Fact]
    public void TheScriptAndTheDockerfile_BuildExactlyTheImagesTheManifestsRun()
    {
        Assert.NotEmpty(Deployments);
        Assert.Equal(Deployments.Keys.Order(StringComparer.Ordinal), ScriptPrograms.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Deployments.Keys.Order(StringComparer.Ordinal), DockerStages.Keys.Order(StringComparer.Ordinal));
        foreach (var (program, deployment) in Deployments)
        {
            // build-images.sh names each image localhost/convoy-$program:latest; the manifest runs that name.
            Assert.Equal($"localhost/convoy-{program}:latest", Text(Container(deployment), "image"));
            Assert.Contains($"docker build -f deploy/containers/Dockerfile --target {program}", Dockerfile, StringComparison.Ordinal);
        }

        Assert.Contains("\"localhost/convoy-$program:latest\"", BuildScript, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryImage_ExposesThePortsItsDeploymentDeclares_AndListensWhereAProbeReachesIt()
    {
        foreach (var (program, deployment) in Deployments)
        {
            var container = Container(deployment);
            var declared = Seq(container, "ports").Cast<YamlMappingNode>().Select(static p => Text(p, "containerPort")).Order(StringComparer.Ordinal).ToList();
            var script = ScriptPrograms[program];
            Assert.Equal(declared, script.Groups["ports"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

            string stage = DockerStages[program];
            var exposed = ExposeLine().Match(stage);
            Assert.True(exposed.Success, $"the Dockerfile's {program} stage exposes no port");
            Assert.Equal(declared, exposed.Groups["ports"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

            // The manifest's own listen address and the images' default agree (0.0.0.0: the kubelet's
            // probe and podman's published ports come from outside the container's loopback).
            string addressKey = script.Groups["address"].Value;
            var env = Seq(container, "env").Cast<YamlMappingNode>().ToDictionary(static e => Text(e, "name"), static e => Text(e, "value"), StringComparer.Ordinal);
            Assert.Equal("0.0.0.0", env[addressKey]);
            Assert.Contains($"{addressKey}=0.0.0.0", stage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryImage_RunsItsOwnProgram_AsTheUserThePodsRunAs()
    {
        foreach (var (program, deployment) in Deployments)
        {
            var script = ScriptPrograms[program];
            string dll = script.Groups["dll"].Value;
            string project = script.Groups["project"].Value;
            Assert.True(File.Exists(Repository.PathOf(project, Path.ChangeExtension(dll, ".csproj"))), $"{project} builds no {dll}");
            Assert.Contains($"ENTRYPOINT [\"/usr/bin/dotnet\", \"/opt/convoy/{program}/{dll}\"]", DockerStages[program], StringComparison.Ordinal);
            Assert.Contains($"dotnet publish {project} ", Dockerfile, StringComparison.Ordinal);

            var security = Map(Map(Map(Map(deployment, "spec"), "template"), "spec"), "securityContext");
            Assert.Equal("10001", Text(security, "runAsUser"));
            Assert.Equal("10001", Text(security, "runAsGroup"));
        }

        Assert.Contains("--user 10001:10001", BuildScript, StringComparison.Ordinal);
        Assert.Contains("USER 10001:10001", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("--entrypoint \"[\\\"/usr/bin/dotnet\\\", \\\"/opt/convoy/$program/$dll\\\"]\"", BuildScript, StringComparison.Ordinal);
    }

    private static Dictionary<string, YamlMappingNode> LoadDeployments()
    {
        var deployments = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        foreach (string path in Directory.GetFiles(Repository.PathOf("deploy", "kubernetes"), "*.yaml"))
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                stream.Load(reader);
            }

            foreach (var document in stream.Documents.Select(static d => (YamlMappingNode)d.RootNode).Where(static d => Text(d, "kind") == "Deployment"))
            {
                string name = Text(Map(document, "metadata"), "name");
                deployments.Add(name["convoy-".Length..], document);
            }
        }

        return deployments;
    }

    private static YamlMappingNode Container(YamlMappingNode deployment) =>
        (YamlMappingNode)Assert.Single(Seq(Map(Map(Map(deployment, "spec"), "template"), "spec"), "containers"));

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? string.Empty : string.Empty;

    [GeneratedRegex(@"^\s+(?<program>[a-z-]+)\) echo ""(?<project>src/[A-Za-z]+) (?<dll>Convoy\.[A-Za-z]+\.dll) (?<address>[A-Za-z]+__Address) (?<ports>[0-9 ]+)"" ;;$", RegexOptions.Multiline)]
    private static partial Regex ProgramLine();

    [GeneratedRegex(@"^FROM base AS (?<program>[a-z-]+)\n(?<body>(?:(?!FROM ).*\n?)*)", RegexOptions.Multiline)]
    private static partial Regex ProgramStage();

    [GeneratedRegex(@"^EXPOSE (?<ports>[0-9 ]+)$", RegexOptions.Multiline)]
    private static partial Regex ExposeLine();
}
