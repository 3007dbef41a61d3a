using System.Collections.Concurrent;
using Confluent.Kafka;
using Convoy.Kafka.Native;

namespace Convoy.TestKit;

/// <summary>An <see cref="IRecordDeliveryHandler"/> that keeps every outcome it was told, by token, in the order told.</summary>
public sealed class RecordedDeliveries : IRecordDeliveryHandler
{
    private readonly ConcurrentQueue<(long Token, ErrorCode Outcome)> _told = new();

    /// <summary>Every (token, outcome) told so far, in order.</summary>
    public IReadOnlyList<(long Token, ErrorCode Outcome)> Told => [.. _told];

    /// <summary>The outcomes told for <paramref name="token"/>, in order (a handler must be told once).</summary>
    public IReadOnlyList<ErrorCode> For(long token) => [.. _told.Where(t => t.Token == token).Select(t => t.Outcome)];

    public void OnDelivery(long token, ErrorCode outcome) => _told.Enqueue((token, outcome));
}
