using System.Globalization;
using Convoy.Files;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// The one way every program follows a file on disk (src/Shared/FileFollower.cs): a change is read
/// within a second, a bad file keeps the last good content, and each change is logged once, to the
/// logger given to the constructor.
/// </summary>
public sealed partial class FileFollowerUnitTests : IDisposable
{
    private readonly TempFolder _folder = new("file-follower");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));
    private readonly TestLogs _logs = new();

    [Fact]
    public void ChangedFile_IsReadAgainAfterASecond_AndTheReloadLoggedOnce()
    {
        string file = Write("speed-limit", "80");
        var follower = Follow(file);
        Assert.Equal(80, follower.Current.Kmh);

        Rewrite(file, "90");
        Assert.Equal(80, follower.Current.Kmh); // looked at most once a second
        _time.Advance(FileFollower<Limit>.CheckEvery);
        Assert.Equal(90, follower.Current.Kmh);
        _time.Advance(FileFollower<Limit>.CheckEvery);
        Assert.Equal(90, follower.Current.Kmh);

        Assert.Equal(1, _logs.Count("LimitReloaded"));
        Assert.Equal("Reloaded the limit: 90", Assert.Single(_logs.Collector.GetSnapshot()).Message);
        _logs.AssertNoUnexpectedErrors();
    }

    [Fact]
    public void BadContent_KeepsTheLastGood_LoggedOncePerChange_UntilAGoodFileComes()
    {
        string file = Write("speed-limit", "80");
        var follower = Follow(file);
        _logs.ExpectErrors("LimitRejected");

        Rewrite(file, "ninety");
        for (int i = 0; i < 3; i++)
        {
            _time.Advance(FileFollower<Limit>.CheckEvery);
            Assert.Equal(80, follower.Current.Kmh);
        }

        Assert.Equal(1, _logs.Count("LimitRejected"));
        Assert.Contains("ninety", Assert.Single(_logs.Entries).Message, StringComparison.Ordinal);

        Rewrite(file, "100", minutes: 2);
        _time.Advance(FileFollower<Limit>.CheckEvery);
        Assert.Equal(100, follower.Current.Kmh);
        Assert.Equal((1, 1), (_logs.Count("LimitRejected"), _logs.Count("LimitReloaded")));
    }

    [Fact]
    public void DeletedFile_KeepsTheLastGood_AndSaysSo()
    {
        string file = Write("speed-limit", "80");
        var follower = Follow(file);
        _logs.ExpectErrors("LimitRejected");

        File.Delete(file);
        _time.Advance(FileFollower<Limit>.CheckEvery);

        Assert.Equal(80, follower.Current.Kmh);
        Assert.Equal(1, _logs.Count("LimitRejected"));
    }

    [Fact]
    public void AnyOfSeveralFilesChanged_ReadsThemAllAgain()
    {
        string limit = Write("speed-limit", "80"), margin = Write("margin", "5");
        var follower = new FileFollower<int[]>([limit, margin], () => [Parse(limit), Parse(margin)],
            static (log, _) => LimitReloaded(log, 0), LimitRejected, _time, _logs);

        Rewrite(margin, "7");
        _time.Advance(FileFollower<Limit>.CheckEvery);

        Assert.Equal([80, 7], follower.Current);
        Assert.False(follower.Refresh());
    }

    [Fact]
    public void Constructor_BadFile_Throws_SoTheStartUpStops()
    {
        string file = Write("speed-limit", "eighty");

        Assert.Throws<FormatException>(() => Follow(file));
        Assert.Empty(_logs.Collector.GetSnapshot());
    }

    private FileFollower<Limit> Follow(string file) =>
        new([file], () => new Limit(Parse(file)), static (log, limit) => LimitReloaded(log, limit.Kmh), LimitRejected, _time, _logs);

    private static int Parse(string file)
    {
        string text = File.ReadAllText(file).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"{file} holds '{text}', not a limit");
    }

    private string Write(string name, string text)
    {
        string file = _folder.File(name);
        File.WriteAllText(file, text);
        return file;
    }

    /// <summary>Replaces the file as a rotation does, with a write time the test's clock cannot mistake for the old one.</summary>
    private static void Rewrite(string file, string text, int minutes = 1)
    {
        File.WriteAllText(file, text);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(minutes));
    }

    /// <summary>What the followed file holds in these tests: a speed limit.</summary>
    private sealed record Limit(int Kmh);

    [LoggerMessage(EventId = 1, EventName = "LimitReloaded", Level = LogLevel.Information, Message = "Reloaded the limit: {Limit}")]
    private static partial void LimitReloaded(ILogger logger, int limit);

    [LoggerMessage(EventId = 2, EventName = "LimitRejected", Level = LogLevel.Error, Message = "Kept the limit in use: {Reason}")]
    private static partial void LimitRejected(ILogger logger, string reason);

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }
}
