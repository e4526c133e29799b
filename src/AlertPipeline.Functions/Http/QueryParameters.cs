using System.Globalization;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Http;

/// <summary>The query parameters the read functions share, parsed one way: <c>max</c> and ISO 8601 times.</summary>
internal static class QueryParameters
{
    /// <summary>
    /// <c>max</c>: <paramref name="fallback"/> when absent; false unless it is a plain number from 1 to
    /// <paramref name="limit"/>.
    /// </summary>
    public static bool TryMax(HttpRequestData request, int fallback, int limit, out int max)
    {
        max = fallback;
        return request.Query["max"] is not { } maxText
            || (int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max) && max >= 1 && max <= limit);
    }

    /// <summary>An ISO 8601 time named <paramref name="name"/> (UTC unless it says otherwise): null when absent; false when unreadable.</summary>
    public static bool TryTime(HttpRequestData request, string name, out DateTimeOffset? time)
    {
        time = null;
        if (request.Query[name] is not { } text)
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }

        time = parsed;
        return true;
    }
}
