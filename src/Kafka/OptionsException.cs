namespace Convoy.Kafka;

/// <summary>A configuration value that cannot work, with the key that holds it and why.</summary>
public sealed class OptionsException : Exception
{
    public OptionsException(string key, string reason)
        : base($"Configuration '{key}' {reason}.")
    {
        Key = key;
    }

    public OptionsException()
    {
        Key = string.Empty;
    }

    public OptionsException(string message)
        : base(message)
    {
        Key = string.Empty;
    }

    public OptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
    }

    /// <summary>The configuration key, e.g. <c>Kafka:TopicPartitions</c>.</summary>
    public string Key { get; }
}
