using Convoy.Collector.Authentication;
using Convoy.Pki;

namespace Convoy.Collector.Ingest;

/// <summary>
/// One sender's sequence numbers for one device: the device's own (its certificate, <see cref="Sender"/>
/// empty), or a partner's writing for it (partner:&lt;sub&gt;). Each space has its own ledger, its own
/// active stream and its own acks; the sender is in every record (header <c>convoy-sender</c>), and
/// consumers de-duplicate per space too.
/// </summary>
/// <remarks>
/// Why (issue 12.2): with one space per device, a partner token with 'ingest' uploaded one batch
/// for a real device with sequence 10^15; from then on the device's own batches were "replays" of
/// something below that mark, acknowledged at 10^15 and never written, and the alert engine dropped
/// them as duplicates. With a space per (device, sender), no sender can move another sender's
/// marks, and an ack, computed in the receiver's space, never names a sequence its receiver did not
/// send. It holds across a collector restart (the ledgers start empty, batches sent again are
/// written again, and consumers de-duplicate per space) and needs no registry of which devices
/// have certificates. A partner is identified by its token's 'sub' (the one configured issuer
/// assigns it): two tokens with the same subject are the same sender.
/// </remarks>
internal readonly record struct SequenceSpace(DeviceIdentity Device, string Sender)
{
    public static SequenceSpace Of(AuthenticatedDevice sender) => new(sender.Identity, sender.Sender);
}
