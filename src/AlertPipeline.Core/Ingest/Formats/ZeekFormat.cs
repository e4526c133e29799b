using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Zeek logs written as JSON (<c>LogAscii::use_json=T</c>): <c>conn.log</c>, <c>dns.log</c> and <c>ssl.log</c>, told
/// apart by <c>_path</c> when the writer adds it, otherwise by their members. <c>ts</c> is epoch seconds (or ISO-8601
/// with <c>use_json_iso8601</c>); <c>duration</c> becomes <c>event.duration</c> in nanoseconds.
/// Field mapping: <c>docs/formats/zeek.md</c>.
/// </summary>
public sealed class ZeekFormat : MappedJsonFormat
{
    private const byte PathSlot = 0;
    private const byte OrigBytesSlot = 1;
    private const byte RespBytesSlot = 2;
    private const int DnsMark = 0;
    private const int SslMark = 1;

    /// <summary>Creates the format.</summary>
    public ZeekFormat()
        : base("zeek", Paths(), "uid", "ts", "id.orig_h", "id.resp_h", "id.orig_p", "id.resp_p")
    {
    }

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        return StartsLikeJson(body) && HasKey(window, "\"uid\""u8) && HasKey(window, "\"id.orig_h\""u8);
    }

    private static IEnumerable<KeyValuePair<string, MapTarget>> Paths() =>
    [
        Map("ts", MapAction.Time),
        Map("_path", MapAction.Capture, slot: PathSlot),
        Map("uid", EcsField.EventId),
        Map("id.orig_h", EcsField.SourceIp),
        Map("id.orig_p", EcsField.SourcePort),
        Map("id.resp_h", EcsField.DestinationIp),
        Map("id.resp_p", EcsField.DestinationPort),
        Map("proto", MapAction.Lower, EcsField.NetworkTransport),
        Map("service", MapAction.Lower, EcsField.NetworkProtocol),
        Map("duration", MapAction.SecondsToNanos, EcsField.EventDuration),
        Map("orig_bytes", MapAction.Capture, slot: OrigBytesSlot),
        Map("resp_bytes", MapAction.Capture, slot: RespBytesSlot),
        Map("conn_state", EcsField.EventReason),
        Map("query", MapAction.TrimDot, EcsField.DnsQuestionName),
        Map("qtype_name", EcsField.DnsQuestionType),
        Map("rcode_name", EcsField.DnsResponseCode),
        Map("trans_id", MapAction.Mark, slot: DnsMark),
        Map("server_name", EcsField.TlsClientServerName),
        Map("ja3", EcsField.TlsClientJa3),
        Map("ja3s", EcsField.TlsServerJa3s),
        Map("ja4", EcsField.TlsClientJa4),
        Map("cipher", MapAction.Mark, slot: SslMark),
        Map("version", MapAction.Mark, slot: SslMark),
    ];

    private protected override string? Complete(EventBatch batch, ref MappedRecord record)
    {
        var path = record.Captured(PathSlot);
        var log = path is "conn" or "dns" or "ssl" ? path
            : record.IsMarked(DnsMark) || batch.HasOpen(EcsField.DnsQuestionName) ? "dns"
            : record.IsMarked(SslMark) || batch.HasOpen(EcsField.TlsClientServerName) ? "ssl"
            : "conn";
        batch.Set(EcsField.EventKind, "event");
        batch.Set(EcsField.EventModule, "zeek");
        batch.Set(EcsField.ObserverVendor, "Zeek");
        batch.Set(EcsField.ObserverProduct, "Zeek");
        batch.Set(EcsField.ObserverType, "sensor");
        batch.Set(EcsField.EventCategory, "network");
        switch (log)
        {
            case "dns":
                batch.Set(EcsField.EventDataset, "zeek.dns");
                batch.Set(EcsField.EventType, "protocol");
                batch.Set(EcsField.NetworkProtocol, "dns");
                break;
            case "ssl":
                batch.Set(EcsField.EventDataset, "zeek.ssl");
                batch.Set(EcsField.EventType, "protocol");
                batch.Set(EcsField.NetworkProtocol, "tls");
                if (!batch.HasOpen(EcsField.DestinationDomain) && batch.HasOpen(EcsField.TlsClientServerName))
                {
                    batch.Set(EcsField.DestinationDomain, batch.GetOpen(EcsField.TlsClientServerName));
                }

                break;
            default:
                batch.Set(EcsField.EventDataset, "zeek.conn");
                batch.Set(EcsField.EventType, "connection");
                if (record.TryCapturedLong(OrigBytesSlot, out var sent) | record.TryCapturedLong(RespBytesSlot, out var received))
                {
                    batch.Set(EcsField.NetworkBytes, sent + received);
                }

                break;
        }

        return null;
    }
}
