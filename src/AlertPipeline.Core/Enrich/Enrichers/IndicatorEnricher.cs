using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Enrichers;

/// <summary>
/// Matches an event's addresses and names against the threat indicators and, on the first match, writes
/// <c>threat.indicator.type</c> (<c>ipv4-addr</c>, <c>ipv6-addr</c>, <c>domain-name</c>), <c>threat.indicator.ip</c> or
/// <c>threat.indicator.domain</c> (the indicator as listed: an address, a CIDR or a domain), <c>threat.indicator.provider</c>
/// (its source), the custom <c>threat.indicator.kind</c> (e.g. <c>mining-pool</c>), <c>threat.indicator.description</c>,
/// and which event field matched with what value (<c>threat.enrichments.matched.field</c> / <c>.atomic</c>).
/// Fields are tried in order: <c>destination.ip</c>, <c>destination.domain</c>, <c>url.domain</c>,
/// <c>tls.client.server_name</c>, <c>dns.question.name</c>, <c>source.ip</c> (an inbound connection from a listed
/// address). Reads one immutable <see cref="IndicatorSet"/> and allocates nothing per event.
/// </summary>
public sealed class IndicatorEnricher(IndicatorSet indicators) : IEnricher
{
    private static readonly (EcsField Field, string Name, bool IsAddress)[] Checked =
    [
        Entry(EcsField.DestinationIp, isAddress: true),
        Entry(EcsField.DestinationDomain, isAddress: false),
        Entry(EcsField.UrlDomain, isAddress: false),
        Entry(EcsField.TlsClientServerName, isAddress: false),
        Entry(EcsField.DnsQuestionName, isAddress: false),
        Entry(EcsField.SourceIp, isAddress: true),
    ];

    /// <inheritdoc />
    public void Enrich(EventBatch batch, int index)
    {
        if (indicators.Count == 0)
        {
            return;
        }

        foreach (var (field, name, isAddress) in Checked)
        {
            if (!batch.Has(index, field))
            {
                continue;
            }

            var value = batch.Get(index, field);

            // A name field can hold an address (http://203.0.113.7/ gives url.domain 203.0.113.7).
            var match = isAddress ? indicators.MatchAddress(value) : indicators.MatchDomain(value) ?? indicators.MatchAddress(value);
            if (match is null)
            {
                continue;
            }

            var indicator = match.Indicator;
            batch.Set(index, EcsField.ThreatIndicatorType, match.Type);
            batch.Set(index, match.Type == "domain-name" ? EcsField.ThreatIndicatorDomain : EcsField.ThreatIndicatorIp, indicator.Value);
            batch.Set(index, EcsField.ThreatIndicatorProvider, indicator.Source);
            batch.Set(index, EcsField.ThreatIndicatorKind, indicator.Kind);
            if (indicator.Description is { } description)
            {
                batch.Set(index, EcsField.ThreatIndicatorDescription, description);
            }

            batch.Set(index, EcsField.ThreatEnrichmentsMatchedField, name);
            batch.Set(index, EcsField.ThreatEnrichmentsMatchedAtomic, value);
            return;
        }
    }

    private static (EcsField, string, bool) Entry(EcsField field, bool isAddress) => (field, EcsFields.NameOf(field), isAddress);
}
