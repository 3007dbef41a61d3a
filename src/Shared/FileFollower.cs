using System.Formats.Asn1;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
// An alias, not a namespace import: the web projects import Microsoft.Extensions.Logging implicitly
// and the others do not, and an import one of them does not need fails its build (IDE0005).
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace Convoy.Files;

/// <summary>
/// What a program reads from files it follows on disk (certificates, keys, a registry), kept
/// current: <see cref="Current"/> looks at the files' write times and lengths at most once per
/// <see cref="CheckEvery"/> (by the clock it was given) and reads them again when one changed, so
/// a rotation needs no restart. The first read happens in the constructor and throws, so a bad file
/// stops the start-up. Later, a read that fails (a file caught half-written, a key that does not
/// match) leaves the last good content in use; either outcome is logged once per change of the
/// files, not on every check, through the owner's own log events given to the constructor.
/// The files can be a fixed list, or listed again at each check (a folder's files: one added or
/// removed is a change too). Reflection-free, so the NativeAOT agent can use it. Compiled into
/// each project that follows files (a linked file, src/Shared), internal to each.
/// </summary>
/// <typeparam name="T">What the files hold, read as one immutable value.</typeparam>
internal sealed class FileFollower<T>
    where T : class
{
    /// <summary>How often at most the files are looked at.</summary>
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    private readonly Func<IReadOnlyList<string>> _list;
    private readonly Func<T> _read;
    private readonly Action<ILogger, T> _reloaded;
    private readonly Action<ILogger, string> _rejected;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private long _checkedAt;
    private (string Path, DateTime Written, long Length)[] _seen;
    private T _current;

    /// <param name="paths">The files followed; <paramref name="read"/> is called again when any of them changes.</param>
    /// <param name="read">Reads the files into one value; throws when they do not hold a good one.</param>
    /// <param name="reloaded">Logs that the files were read again and are in use.</param>
    /// <param name="rejected">Logs why the changed files were not used (the last good content stays).</param>
    /// <param name="time">The clock that paces the checks.</param>
    /// <param name="logger">Where <paramref name="reloaded"/> and <paramref name="rejected"/> write.</param>
    public FileFollower(IEnumerable<string> paths, Func<T> read, Action<ILogger, T> reloaded, Action<ILogger, string> rejected, TimeProvider time, ILogger logger)
        : this(Fixed(paths), read, reloaded, rejected, time, logger)
    {
    }

    /// <param name="list">Lists the files followed, at each check (a folder's files, say); a file added or removed is a change.</param>
    /// <param name="read">Reads the files into one value; throws when they do not hold a good one.</param>
    /// <param name="reloaded">Logs that the files were read again and are in use.</param>
    /// <param name="rejected">Logs why the changed files were not used (the last good content stays).</param>
    /// <param name="time">The clock that paces the checks.</param>
    /// <param name="logger">Where <paramref name="reloaded"/> and <paramref name="rejected"/> write.</param>
    public FileFollower(Func<IReadOnlyList<string>> list, Func<T> read, Action<ILogger, T> reloaded, Action<ILogger, string> rejected, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(reloaded);
        ArgumentNullException.ThrowIfNull(rejected);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _list = list;
        _read = read;
        _reloaded = reloaded;
        _rejected = rejected;
        _time = time;
        _logger = logger;
        _seen = Stamps();
        _current = read();
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>The content in use now, read again first when the files changed since the last check.</summary>
    public T Current
    {
        get
        {
            Refresh();
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>Reads the files again if they changed (looked at most once per <see cref="CheckEvery"/>); true when the content in use changed.</summary>
    public bool Refresh()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _checkedAt)) < CheckEvery)
        {
            return false;
        }

        lock (_gate)
        {
            if (_time.GetElapsedTime(_checkedAt) < CheckEvery)
            {
                return false;
            }

            Volatile.Write(ref _checkedAt, _time.GetTimestamp());
            (string, DateTime, long)[] stamps;
            try
            {
                stamps = Stamps();
            }
            catch (Exception e) when (IsBadContent(e))
            {
                _rejected(_logger, e.Message); // the folder cannot be listed: keep what is in use
                return false;
            }

            if (stamps.AsSpan().SequenceEqual(_seen))
            {
                return false;
            }

            // Seen either way: a change is logged once, and read again only when the files change again.
            _seen = stamps;
            try
            {
                var content = _read();
                Volatile.Write(ref _current, content);
                _reloaded(_logger, content);
                return true;
            }
            catch (Exception e) when (IsBadContent(e))
            {
                _rejected(_logger, e.Message);
                return false;
            }
        }
    }

    /// <summary>The failures that mean the files do not hold good content, as opposed to a bug.</summary>
    private static bool IsBadContent(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException
            or CryptographicException or AsnContentException or OptionsValidationException;

    private static Func<IReadOnlyList<string>> Fixed(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        string[] fixedPaths = [.. paths];
        return () => fixedPaths;
    }

    private (string, DateTime, long)[] Stamps()
    {
        var paths = _list();
        var stamps = new (string, DateTime, long)[paths.Count];
        for (int i = 0; i < paths.Count; i++)
        {
            var file = new FileInfo(paths[i]);
            stamps[i] = file.Exists ? (paths[i], file.LastWriteTimeUtc, file.Length) : (paths[i], default, 0);
        }

        return stamps;
    }
}
