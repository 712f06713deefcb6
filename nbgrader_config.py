"""nbgrader settings for the Week 5 ConvNets assignment: only what differs from the defaults."""
c = get_config()  # noqa: F821 (provided by nbgrader)

# Building Keras models and the short training runs of notebook 3 take longer than
# nbgrader's default of 30 s per cell.
c.Execute.timeout = 300
