namespace Convoy.FleetHistory.Tests;

/// <summary>The program as an operator starts it (its own build output, Production): bad settings end it in one line each.</summary>
public sealed class ProgramStartTests
{
    [Fact]
    public void BadSettings_StopTheProgram_WithOneLineEach_NamingTheSetting_AndNoStackTrace()
    {
        using var folder = new TempFolder("program-start");
        using var program = ProgramProcess.FleetHistory(
        [
            "--FleetHistory:FlushMilliseconds=0", "--FleetHistory:GrpcPort=70000",
            $"--FleetHistory:DataFolder={folder.Path}", "--Kafka:Embedded=true",
        ]);

        string[] lines = program.AssertStoppedOnBadSettings();
        Assert.Contains("Convoy.FleetHistory: Configuration 'FleetHistory:FlushMilliseconds' must be 10..10000, was 0.", lines);
        Assert.Contains("Convoy.FleetHistory: Configuration 'FleetHistory:GrpcPort' must be 0..65535, was 70000.", lines);
    }
}
