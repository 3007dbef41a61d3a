using Grpc.Core;

namespace Convoy.TestKit;

/// <summary>
/// The response side of a gRPC server stream as a unit test holds it: every message written is
/// kept, in order. Wait for what is expected with <see cref="Eventually"/> on <see cref="Written"/>.
/// </summary>
public sealed class RecordingStreamWriter<T> : IServerStreamWriter<T>
{
    private readonly List<T> _written = [];

    public WriteOptions? WriteOptions { get; set; }

    /// <summary>What was written so far (a copy).</summary>
    public IReadOnlyList<T> Written
    {
        get
        {
            lock (_written)
            {
                return [.. _written];
            }
        }
    }

    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return WriteAsync(message);
    }

    public Task WriteAsync(T message)
    {
        lock (_written)
        {
            _written.Add(message);
        }

        return Task.CompletedTask;
    }
}
