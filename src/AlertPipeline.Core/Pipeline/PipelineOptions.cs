namespace AlertPipeline.Core.Pipeline;

/// <summary>Settings of the whole path (section <c>Pipeline</c>, app settings <c>Pipeline__*</c>).</summary>
public sealed class PipelineOptions
{
    /// <summary>Width of the time bucket that makes one alert: matches of one rule on one sandbox within it update one alert.</summary>
    public TimeSpan AlertBucket { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often rules are reloaded from the store.</summary>
    public TimeSpan RuleRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the sandbox inventory is reloaded.</summary>
    public TimeSpan InventoryRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the response policy is reloaded from Table <c>responsepolicy</c>.</summary>
    public TimeSpan PolicyRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How often the threat indicators are reloaded (sooner when one expires); the table can hold 100k rows.</summary>
    public TimeSpan IndicatorRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);
}
