using Confluent.Kafka;

namespace Convoy.Kafka.Native;

/// <summary>
/// Told once what became of a record <see cref="RecordProducer"/> queued: the outcome is NoError when Kafka confirmed it. Called on the producer's delivery thread, with the token
/// the record was produced with, so a delivery report needs no object per record. (Named apart
/// from Confluent.Kafka's own IDeliveryHandler: a file using both namespaces could not name either (CS0104, CS0419).)
/// </summary>
public interface IRecordDeliveryHandler
{
    void OnDelivery(long token, ErrorCode outcome);
}
