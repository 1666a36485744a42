"""``reconciler export``: the live services named by a configuration's connections, as YAML.

Modules: ``read`` (bulk reads through the clients: the listings refresh uses), ``build_adobe``,
``build_aem``, ``build_workfront`` (pure: snapshots -> entries, names and references), ``context``
(filters, names, the index references are made from), ``model``, ``connections`` (the connections
block, secrets as ``${env:...}``), ``write`` (ruamel.yaml files, one per kind), ``run`` (one
export: ``export_workspace``) and ``command`` (the click command). The output is written so that
``plan`` on it adopts every object without an update (each ``build_*`` module says what each field
is written from). This package file imports nothing, so that the CLI loads only the command.
"""
