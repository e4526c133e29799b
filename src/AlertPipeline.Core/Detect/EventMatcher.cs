using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect;

/// <summary>
/// A compiled predicate over one event of a batch. Rule compilers build a tree of sealed matchers once;
/// evaluation reads field slices and allocates nothing.
/// </summary>
public abstract class EventMatcher
{
    /// <summary>True if event <paramref name="index"/> of <paramref name="batch"/> matches.</summary>
    public abstract bool Matches(EventBatch batch, int index);
}
