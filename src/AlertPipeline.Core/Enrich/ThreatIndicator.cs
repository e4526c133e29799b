namespace AlertPipeline.Core.Enrich;

/// <summary>
/// One threat indicator (Table <c>indicators</c>): an IP address, an IPv4/IPv6 CIDR or a domain that telemetry is
/// matched against. A domain covers its subdomains. See docs/indicators.md.
/// </summary>
public sealed record ThreatIndicator
{
    /// <summary>The address, network or domain, in canonical form (see <see cref="Canonicalize"/>).</summary>
    public required string Value { get; init; }

    /// <summary>Where it comes from, e.g. a feed name; written to <c>threat.indicator.provider</c>.</summary>
    public required string Source { get; init; }

    /// <summary>What it is, e.g. <c>mining-pool</c>, <c>tunnel-service</c>, <c>threat-intel</c>; written to <c>threat.indicator.kind</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Free text for the operator; written to <c>threat.indicator.description</c>.</summary>
    public string? Description { get; init; }

    /// <summary>When it stops counting; null for never. An expired indicator matches nothing.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>True when it counts at <paramref name="asOf"/>.</summary>
    public bool IsLiveAt(DateTimeOffset asOf) => Expires is not { } expires || expires > asOf;

    /// <summary>
    /// The canonical form of an indicator value, or null when it is neither an IP address, a CIDR nor a domain:
    /// addresses and networks as <see cref="IpPrefix.ToString"/> writes them (host bits cleared), domains in lower case
    /// without a trailing dot or a leading <c>*.</c> (a domain covers its subdomains anyway).
    /// </summary>
    public static string? Canonicalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.AsSpan().Trim();
        if (IpPrefix.TryParse(text, out var prefix))
        {
            return prefix.ToString();
        }

        if (text.StartsWith("*.", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.TrimEnd('.');
        return EgressPolicy.IsDomain(text) ? text.ToString().ToLowerInvariant() : null;
    }
}
