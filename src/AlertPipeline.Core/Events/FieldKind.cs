namespace AlertPipeline.Core.Events;

/// <summary>How a field's text is interpreted by matchers (numbers compare numerically, IPs match CIDRs).</summary>
public enum FieldKind : byte
{
    Keyword,
    Text,
    Long,
    Double,
    Ip,
    Date,
}
