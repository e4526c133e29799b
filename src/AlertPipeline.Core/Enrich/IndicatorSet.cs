namespace AlertPipeline.Core.Enrich;

/// <summary>
/// An immutable index of the live threat indicators, built once per refresh: addresses and networks of both families in
/// one <see cref="IpPrefixTable{TValue}"/> (most specific network wins), domains in a <see cref="DomainSuffixTable{TValue}"/>
/// (most specific domain wins). Matching allocates nothing and its cost hardly grows with the number of indicators.
/// </summary>
public sealed class IndicatorSet
{
    private readonly IpPrefixTable<IndicatorMatch> _addresses;
    private readonly DomainSuffixTable<IndicatorMatch> _domains;

    /// <summary>
    /// Indexes the indicators of <paramref name="indicators"/> that are live at <paramref name="asOf"/>; values that are
    /// neither an address, a network nor a domain are left out. When several sources list the same value, the source
    /// first in ordinal order wins, so the result does not depend on the store's order.
    /// </summary>
    public IndicatorSet(IEnumerable<ThreatIndicator> indicators, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(indicators);
        var addresses = new List<(IpPrefix, IndicatorMatch)>();
        var domains = new List<(string, IndicatorMatch)>();
        DateTimeOffset? nextExpiry = null;
        foreach (var indicator in indicators.Where(i => i.IsLiveAt(asOf)).OrderBy(i => i.Source, StringComparer.Ordinal))
        {
            if (IpPrefix.TryParse(indicator.Value, out var prefix))
            {
                addresses.Add((prefix, new IndicatorMatch(indicator, prefix.IsIPv4 ? "ipv4-addr" : "ipv6-addr")));
            }
            else if (ThreatIndicator.Canonicalize(indicator.Value) is { } domain)
            {
                domains.Add((domain, new IndicatorMatch(indicator, "domain-name")));
            }
            else
            {
                continue;
            }

            if (indicator.Expires is { } expires && (nextExpiry is null || expires < nextExpiry))
            {
                nextExpiry = expires;
            }
        }

        _addresses = new IpPrefixTable<IndicatorMatch>(addresses);
        _domains = new DomainSuffixTable<IndicatorMatch>(domains);
        NextExpiry = nextExpiry;
    }

    /// <summary>No indicator.</summary>
    public static IndicatorSet Empty { get; } = new([], DateTimeOffset.MinValue);

    /// <summary>Number of distinct indexed values.</summary>
    public int Count => _addresses.Count + _domains.Count;

    /// <summary>When the first indexed indicator expires (the set must be rebuilt then), or null.</summary>
    public DateTimeOffset? NextExpiry { get; }

    /// <summary>The indicator of the most specific network containing the IPv4 or IPv6 address <paramref name="ip"/>, or null.</summary>
    public IndicatorMatch? MatchAddress(ReadOnlySpan<char> ip) => _addresses.TryMatch(ip, out var match) ? match : null;

    /// <summary>The indicator of the most specific listed domain that is <paramref name="name"/> or a parent of it, or null.</summary>
    public IndicatorMatch? MatchDomain(ReadOnlySpan<char> name) => _domains.TryMatch(name, out var match) ? match : null;
}

/// <summary>An indexed indicator with its ECS <c>threat.indicator.type</c>, built once per set so a match allocates nothing.</summary>
/// <param name="Indicator">The indicator.</param>
/// <param name="Type"><c>ipv4-addr</c>, <c>ipv6-addr</c> or <c>domain-name</c>.</param>
public sealed record IndicatorMatch(ThreatIndicator Indicator, string Type);
