namespace AlertPipeline.Core.Enrich;

/// <summary>
/// One sandbox's allowed egress, compiled once per inventory refresh: IPv4 and IPv6 networks in an
/// <see cref="IpPrefixTable{TValue}"/> and domains in a <see cref="DomainSuffixTable{TValue}"/> (the structures the threat
/// indicators use), so judging an event allocates nothing.
/// </summary>
public sealed class EgressPolicy
{
    private readonly IpPrefixTable<bool> _ranges;
    private readonly DomainSuffixTable<bool> _domains;

    private EgressPolicy(IpPrefixTable<bool> ranges, DomainSuffixTable<bool> domains)
    {
        _ranges = ranges;
        _domains = domains;
        IsEmpty = ranges.Count == 0 && domains.Count == 0;
    }

    /// <summary>True when no entry could be compiled: nothing is judged for the sandbox.</summary>
    public bool IsEmpty { get; }

    /// <summary>Compiles <paramref name="entries"/>; entries that are neither an IP CIDR nor a domain are ignored (the importer reports them).</summary>
    public static EgressPolicy Compile(IEnumerable<string> entries)
    {
        var ranges = new List<(IpPrefix, bool)>();
        var domains = new List<(string, bool)>();
        foreach (var entry in entries)
        {
            if (IpPrefix.TryParse(entry, out var prefix))
            {
                ranges.Add((prefix, true));
            }
            else if (IsDomain(entry))
            {
                domains.Add((entry, true));
            }
        }

        return new EgressPolicy(new IpPrefixTable<bool>(ranges), new DomainSuffixTable<bool>(domains));
    }

    /// <summary>An IPv4 or IPv6 CIDR (<c>10.0.5.0/24</c>, <c>2001:db8::/32</c>) or a bare address (a /32 or /128).</summary>
    public static bool TryParseCidr(ReadOnlySpan<char> text) => IpPrefix.TryParse(text, out _);

    /// <summary>A DNS name: letters, digits, hyphens, underscores and dots, at least one dot, at most 253 chars.</summary>
    public static bool IsDomain(ReadOnlySpan<char> text)
    {
        text = text.TrimEnd('.');
        if (text.IsEmpty || text.Length > 253 || text.IndexOf('.') <= 0 || text.IndexOf("..", StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True if the IPv4 or IPv6 address <paramref name="ip"/> falls in an allowed range.</summary>
    public bool AllowsAddress(ReadOnlySpan<char> ip) => _ranges.TryMatch(ip, out _);

    /// <summary>True if <paramref name="domain"/> or one of its parent domains is allowed.</summary>
    public bool AllowsDomain(ReadOnlySpan<char> domain) => _domains.TryMatch(domain, out _);
}
