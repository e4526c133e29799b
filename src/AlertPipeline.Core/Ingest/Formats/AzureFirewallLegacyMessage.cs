namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>What a legacy Azure Firewall <c>properties.msg</c> line holds.</summary>
internal enum LegacyMessageKind : byte
{
    None,

    /// <summary><c>PROTO request from a:p to b:p[ was DNAT'ed to c:p][. Key: value]…</c></summary>
    Connection,

    /// <summary><c>DNS Request: a:p - id TYPE CLASS name proto size do bufsize RCODE flags rsize duration</c></summary>
    DnsRequest,

    /// <summary><c>Error: n name TYPE: error text</c> (DNS proxy upstream failure)</summary>
    DnsError,
}

/// <summary>
/// The parts of one legacy (AzureDiagnostics) Azure Firewall message, as slices of the message text.
/// Filled by <see cref="AzureFirewallLegacyMessage.TryParse"/>; empty spans mean "not present".
/// </summary>
internal ref struct LegacyMessage
{
    public LegacyMessageKind Kind;
    public ReadOnlySpan<char> Protocol;
    public ReadOnlySpan<char> IcmpType;
    public ReadOnlySpan<char> SourceHost;
    public ReadOnlySpan<char> SourcePort;
    public ReadOnlySpan<char> DestinationHost;
    public ReadOnlySpan<char> DestinationPort;
    public ReadOnlySpan<char> TranslatedHost;
    public ReadOnlySpan<char> TranslatedPort;
    public ReadOnlySpan<char> Url;
    public ReadOnlySpan<char> Action;
    public ReadOnlySpan<char> Policy;
    public ReadOnlySpan<char> RuleCollectionGroup;
    public ReadOnlySpan<char> RuleCollection;
    public ReadOnlySpan<char> Rule;
    public ReadOnlySpan<char> ThreatIntel;
    public ReadOnlySpan<char> WebCategory;
    public ReadOnlySpan<char> SignatureId;
    public ReadOnlySpan<char> Signature;
    public ReadOnlySpan<char> Priority;
    public ReadOnlySpan<char> Classification;
    public ReadOnlySpan<char> Reason;
    public ReadOnlySpan<char> QueryName;
    public ReadOnlySpan<char> QueryType;
    public ReadOnlySpan<char> ResponseCode;
    public ReadOnlySpan<char> Error;
}

/// <summary>
/// A hand-written scanner for the free-text <c>msg</c> of legacy Azure Firewall logs. Single forward pass over
/// words and ". "-separated clauses, no regex, no allocation; tolerant of doubled spaces and trailing dots.
/// </summary>
internal static class AzureFirewallLegacyMessage
{
    /// <summary>Parses <paramref name="text"/>; false when it matches none of the known shapes.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out LegacyMessage message)
    {
        message = default;
        var s = text.Trim();
        if (s.StartsWith("DNS Request:", StringComparison.Ordinal))
        {
            return TryParseDnsRequest(s["DNS Request:".Length..], ref message);
        }

        if (s.StartsWith("Error:", StringComparison.Ordinal))
        {
            return TryParseDnsError(s["Error:".Length..], ref message);
        }

        return TryParseConnection(s, ref message);
    }

    private static bool TryParseConnection(ReadOnlySpan<char> s, ref LegacyMessage m)
    {
        var rest = s;
        m.Protocol = NextWord(ref rest);
        var word = NextWord(ref rest);
        if (word.StartsWith("Type=", StringComparison.Ordinal))
        {
            m.IcmpType = word[5..];
            word = NextWord(ref rest);
        }

        if (m.Protocol.IsEmpty || !word.SequenceEqual("request") || !NextWord(ref rest).SequenceEqual("from")
            || !TrySplitEndpoint(NextWord(ref rest), out m.SourceHost, out m.SourcePort)
            || !NextWord(ref rest).SequenceEqual("to")
            || !TrySplitEndpoint(NextWord(ref rest), out m.DestinationHost, out m.DestinationPort))
        {
            return false;
        }

        m.Kind = LegacyMessageKind.Connection;
        rest = rest.TrimStart(' ');
        if (rest.StartsWith("was DNAT'ed to ", StringComparison.Ordinal))
        {
            rest = rest["was DNAT'ed to ".Length..];
            if (!TrySplitEndpoint(NextWord(ref rest), out m.TranslatedHost, out m.TranslatedPort))
            {
                return false;
            }

            m.Action = "DNAT";
        }

        ParseClauses(rest, ref m);
        return true;
    }

    /// <summary>
    /// Reads <c>. Key: value. Key: value. free text.</c>. A clause ends at a dot followed by a space, another dot
    /// or the end, so dots inside host names and URLs stay in their value.
    /// </summary>
    private static void ParseClauses(ReadOnlySpan<char> rest, ref LegacyMessage m)
    {
        var reasonStart = -1;
        var reasonEnd = -1;
        var i = 0;
        while (i < rest.Length)
        {
            var start = i;
            while (i < rest.Length && !(rest[i] == '.' && (i + 1 == rest.Length || rest[i + 1] is ' ' or '.')))
            {
                i++;
            }

            var clause = rest[start..i].Trim(' ');
            var clauseStart = start + (rest[start..i].Length - rest[start..i].TrimStart(' ').Length);
            i++;
            if (clause.IsEmpty || TrySetKeyed(clause, ref m))
            {
                continue;
            }

            // Free text ("No rule matched", "Proceeding with default action") becomes the reason, kept as one slice.
            if (reasonStart < 0)
            {
                reasonStart = clauseStart;
            }

            reasonEnd = clauseStart + clause.Length;
        }

        if (reasonStart >= 0 && m.Reason.IsEmpty)
        {
            m.Reason = rest[reasonStart..reasonEnd];
        }
    }

    private static bool TrySetKeyed(ReadOnlySpan<char> clause, ref LegacyMessage m)
    {
        var colon = clause.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var key = clause[..colon];
        var value = clause[(colon + 2)..].Trim(' ');
        switch (key)
        {
            case "Action": m.Action = value; return true;
            case "Url": m.Url = value; return true;
            case "Policy": m.Policy = value; return true;
            case "Rule Collection Group": m.RuleCollectionGroup = value; return true;
            case "Rule Collection": m.RuleCollection = value; return true;
            case "Rule": m.Rule = value; return true;
            case "ThreatIntel": m.ThreatIntel = value; return true;
            case "Web Category": m.WebCategory = value; return true;
            case "Signature": m.SignatureId = value; return true;
            case "IDS": m.Signature = value; return true;
            case "Priority": m.Priority = value; return true;
            case "Classification": m.Classification = value; return true;
            case "Reason": m.Reason = value; return true;
            default: return false;
        }
    }

    private static bool TryParseDnsRequest(ReadOnlySpan<char> rest, ref LegacyMessage m)
    {
        // a:p - id TYPE CLASS name proto size do bufsize RCODE flags rsize duration (CoreDNS log line, quotes stripped).
        if (!TrySplitEndpoint(NextWord(ref rest), out m.SourceHost, out m.SourcePort) || !NextWord(ref rest).SequenceEqual("-"))
        {
            return false;
        }

        NextWord(ref rest); // query id
        m.QueryType = NextWord(ref rest);
        NextWord(ref rest); // class
        m.QueryName = TrimDots(NextWord(ref rest));
        m.Protocol = NextWord(ref rest);
        NextWord(ref rest); // request size
        NextWord(ref rest); // DO bit
        NextWord(ref rest); // buffer size
        m.ResponseCode = NextWord(ref rest);
        if (m.ResponseCode.IsEmpty || m.QueryName.IsEmpty)
        {
            return false;
        }

        m.Kind = LegacyMessageKind.DnsRequest;
        return true;
    }

    private static bool TryParseDnsError(ReadOnlySpan<char> rest, ref LegacyMessage m)
    {
        // n name TYPE: error text
        NextWord(ref rest); // error count
        m.QueryName = TrimDots(NextWord(ref rest));
        var type = NextWord(ref rest);
        if (m.QueryName.IsEmpty || !type.EndsWith(':'))
        {
            return false;
        }

        m.QueryType = type[..^1];
        m.Error = rest.Trim(' ');
        m.Kind = LegacyMessageKind.DnsError;
        return true;
    }

    /// <summary>Splits <c>host:port</c> (dots trailing a sentence removed; <c>[v6]:port</c> unbracketed).</summary>
    private static bool TrySplitEndpoint(ReadOnlySpan<char> word, out ReadOnlySpan<char> host, out ReadOnlySpan<char> port)
    {
        word = TrimDots(word);
        var colon = word.LastIndexOf(':');
        host = colon > 0 ? word[..colon] : default;
        port = colon > 0 ? word[(colon + 1)..] : default;
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        return !host.IsEmpty && JsonValues.IsPort(port);
    }

    private static ReadOnlySpan<char> TrimDots(ReadOnlySpan<char> word) => word.TrimEnd('.');

    /// <summary>The next space-separated word; any run of spaces separates.</summary>
    private static ReadOnlySpan<char> NextWord(scoped ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart(' ');
        var end = rest.IndexOf(' ');
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? default : rest[end..];
        return word;
    }
}
