namespace AlertPipeline.Core.Detect;

/// <summary>How a conditional write to an <see cref="IRuleStore"/> ended.</summary>
public enum RuleWriteOutcome
{
    /// <summary>The write (or delete) happened.</summary>
    Written,

    /// <summary>Create-only, but a rule with that pack and id is already stored.</summary>
    AlreadyExists,

    /// <summary>The rule changed since the caller read it: the given ETag is not the stored one.</summary>
    Stale,

    /// <summary>No rule with that pack and id is stored.</summary>
    NotFound,
}

/// <summary>
/// The typed result of a conditional write: a lost race is an expected outcome an operator must see, not an exception.
/// </summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Rule">The stored rule with its new ETag after a create or replace; null otherwise.</param>
public sealed record RuleWriteResult(RuleWriteOutcome Outcome, RuleRecord? Rule = null)
{
    /// <summary>True when the store changed.</summary>
    public bool Succeeded => Outcome == RuleWriteOutcome.Written;

    /// <summary>A successful create or replace that stored <paramref name="rule"/>.</summary>
    public static RuleWriteResult Stored(RuleRecord rule) => new(RuleWriteOutcome.Written, rule);

    /// <summary>A successful delete.</summary>
    public static RuleWriteResult Deleted { get; } = new(RuleWriteOutcome.Written);

    /// <summary>Create-only found the row there.</summary>
    public static RuleWriteResult Exists { get; } = new(RuleWriteOutcome.AlreadyExists);

    /// <summary>The ETag did not match.</summary>
    public static RuleWriteResult StaleETag { get; } = new(RuleWriteOutcome.Stale);

    /// <summary>Nothing to replace or delete.</summary>
    public static RuleWriteResult Missing { get; } = new(RuleWriteOutcome.NotFound);

    /// <summary>
    /// Checks the ETag a caller gives for a conditional write. A wildcard would turn it into the unconditional write
    /// these methods exist to prevent, so both stores refuse it the same way.
    /// </summary>
    public static string RequireETag(string ifMatch)
    {
        ArgumentNullException.ThrowIfNull(ifMatch);
        if (string.IsNullOrWhiteSpace(ifMatch) || ifMatch.Trim() == "*")
        {
            throw new ArgumentException("A conditional write needs the rule's ETag as read, not an empty value or '*'.", nameof(ifMatch));
        }

        return ifMatch;
    }
}
