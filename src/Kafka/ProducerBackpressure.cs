using Confluent.Kafka;

namespace Convoy.Kafka;

/// <summary>
/// Queues a record on a Confluent producer, waiting for room when librdkafka's local queue is full
/// (<c>queue.buffering.max.messages</c> or <c>.kbytes</c>) instead of failing the write: the
/// producer's own poll serves delivery reports, which frees the queue.
/// </summary>
public static class ProducerBackpressure
{
    private static readonly TimeSpan PollWhileFull = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// <see cref="IProducer{TKey,TValue}.Produce(string, Message{TKey,TValue}, Action{DeliveryReport{TKey,TValue}})"/>,
    /// polling for up to 100 ms and trying again for as long as the local queue is full. Any other
    /// refusal is thrown as before.
    /// </summary>
    public static void ProduceWhenRoom<TKey, TValue>(
        this IProducer<TKey, TValue> producer,
        string topic,
        Message<TKey, TValue> message,
        Action<DeliveryReport<TKey, TValue>> delivered)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, delivered);
                return;
            }
            catch (ProduceException<TKey, TValue> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(PollWhileFull);
            }
        }
    }
}
