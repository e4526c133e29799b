using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Suricata EVE JSON (<c>eve.json</c>), one record per line: <c>alert</c>, <c>flow</c>, <c>dns</c> (EVE v2 and the
/// v3 <c>queries</c> array), <c>tls</c> (SNI, JA3/JA3S, JA4) and <c>http</c>; other event types keep their
/// endpoints. Field mapping: <c>docs/formats/suricata.md</c>.
/// </summary>
public sealed class SuricataEveFormat : MappedJsonFormat
{
    private const byte EventTypeSlot = 0;
    private const byte BytesToServerSlot = 1;
    private const byte BytesToClientSlot = 2;

    /// <summary>Creates the format.</summary>
    public SuricataEveFormat()
        : base("suricata", Paths(), "event_type", "src_ip", "dest_ip", "flow_id", "in_iface", "proto")
    {
    }

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        return StartsLikeJson(body) && HasKey(window, "\"event_type\""u8) && HasKey(window, "\"timestamp\""u8);
    }

    private static IEnumerable<KeyValuePair<string, MapTarget>> Paths() =>
    [
        Map("timestamp", MapAction.Time),
        Map("event_type", MapAction.Capture, slot: EventTypeSlot),
        Map("flow_id", EcsField.EventId),
        Map("host", EcsField.ObserverName),
        Map("src_ip", EcsField.SourceIp),
        Map("src_port", EcsField.SourcePort),
        Map("dest_ip", EcsField.DestinationIp),
        Map("dest_port", EcsField.DestinationPort),
        Map("proto", MapAction.Lower, EcsField.NetworkTransport),
        Map("app_proto", MapAction.Lower, EcsField.NetworkProtocol),
        Map("alert.action", MapAction.Lower, EcsField.EventAction),
        Map("alert.signature", EcsField.RuleName),
        Map("alert.signature_id", EcsField.RuleId),
        Map("alert.category", EcsField.RuleCategory),
        Map("alert.severity", EcsField.EventSeverity),
        Map("flow.age", MapAction.SecondsToNanos, EcsField.EventDuration),
        Map("flow.bytes_toserver", MapAction.Capture, slot: BytesToServerSlot),
        Map("flow.bytes_toclient", MapAction.Capture, slot: BytesToClientSlot),
        Map("flow.reason", EcsField.EventReason),
        Map("dns.rrname", MapAction.TrimDot, EcsField.DnsQuestionName),
        Map("dns.rrtype", EcsField.DnsQuestionType),
        Map("dns.rcode", EcsField.DnsResponseCode),
        Map("dns.queries.rrname", MapAction.TrimDot, EcsField.DnsQuestionName),
        Map("dns.queries.rrtype", EcsField.DnsQuestionType),
        Map("tls.sni", EcsField.TlsClientServerName),
        Map("tls.ja3.hash", EcsField.TlsClientJa3),
        Map("tls.ja3s.hash", EcsField.TlsServerJa3s),
        Map("tls.ja4", EcsField.TlsClientJa4),
        Map("http.hostname", EcsField.UrlDomain),
        Map("http.url", EcsField.UrlOriginal),
        Map("http.http_method", EcsField.HttpRequestMethod),
        Map("http.status", EcsField.HttpResponseStatusCode),
        Map("http.http_user_agent", EcsField.UserAgentOriginal),
    ];

    private protected override string? Complete(EventBatch batch, ref MappedRecord record)
    {
        var type = record.Captured(EventTypeSlot);
        if (type.IsEmpty)
        {
            return "missing-event-type";
        }

        batch.Set(EcsField.ObserverVendor, "OISF");
        batch.Set(EcsField.ObserverProduct, "Suricata");
        batch.Set(EcsField.ObserverType, "ids");
        batch.Set(EcsField.EventModule, "suricata");
        batch.Set(EcsField.EventDataset, "suricata.eve");
        batch.Set(EcsField.EventCategory, "network");
        var isAlert = type.SequenceEqual("alert");
        batch.Set(EcsField.EventKind, isAlert ? "alert" : "event");
        if (!isAlert)
        {
            JsonValues.SetLower(batch, EcsField.EventAction, type);
        }

        batch.Set(EcsField.EventType, type switch
        {
            "alert" => batch.GetOpen(EcsField.EventAction) is "blocked" ? "denied" : "allowed",
            "flow" => "connection",
            "dns" or "tls" or "http" => "protocol",
            _ => "info",
        });

        if (record.TryCapturedLong(BytesToServerSlot, out var toServer) | record.TryCapturedLong(BytesToClientSlot, out var toClient))
        {
            batch.Set(EcsField.NetworkBytes, toServer + toClient);
        }

        // The name a client asked for is where it meant to go: rules on destination.domain see SNI and HTTP Host.
        if (!batch.HasOpen(EcsField.DestinationDomain))
        {
            var name = batch.HasOpen(EcsField.TlsClientServerName) ? batch.GetOpen(EcsField.TlsClientServerName)
                : batch.GetOpen(EcsField.UrlDomain);
            if (!name.IsEmpty)
            {
                batch.Set(EcsField.DestinationDomain, name);
            }
        }

        // Suricata writes "failed" when it could not identify the application protocol: that is no protocol.
        if (batch.GetOpen(EcsField.NetworkProtocol) is "failed")
        {
            batch.Unset(EcsField.NetworkProtocol);
        }

        if (type.SequenceEqual("dns"))
        {
            batch.Set(EcsField.NetworkProtocol, "dns");
        }

        return null;
    }

    private protected override string DetailOf(string reason)
        => reason == "missing-event-type" ? "The record has no event_type." : base.DetailOf(reason);
}
