"""中文消息。键与 `en.py` 相同；见 `policyc.messages`。"""

MESSAGES: dict[str, str] = {
    "lang.name": "中文",
    # output：结果写到哪里（policyc/io/atomic.py、policyc/cli/common.py）
    "output.is_input": "它是本次运行的{what}（`{path}`）：结果会覆盖它",
    "output.directory": "它是一个目录",
    "output.no_folder": "目录 `{folder}` 不存在",
    "output.not_a_folder": "`{folder}` 不是目录",
    "output.no_create": "没有在 `{folder}` 中创建文件的权限",
    "output.read_only": "文件是只读的（请先设为可写，或换一个文件名）",
    "output.no_permission": "没有写这个文件的权限",
    "output.block_device": "它是块设备（磁盘）：结果不会写到那里",
    "output.socket": "它是套接字",
    "output.what.records": "记录文件",
    "output.what.policy": "政策文件",
    "output.stdout_failed": "policyc：无法写入标准输出：{reason}",
    "output.cannot_read": "{prog}：无法读取 `{path}`：{reason}",
    # api：程序库（policyc/api.py）
    "api.policy_errors": "{name}：政策有 {count} 个错误",
    "api.no_policy_file": "没有政策文件（请给出路径，或带换行的政策文本）",
    "api.missing_extra": "未安装 {module}：用 `pip install {module}` 安装后即可与 policyc 一起使用",
    "api.no_row": "记录中没有员工 `{employee}`（期间 {period}）的行",
    "api.bad_records": "记录应为路径、字典的可迭代对象、pandas 或 Polars DataFrame、Arrow 表，而不是 {type}",
    "api.bad_row": "每条记录应为“列 -> 值”的字典，而不是 {type}",
}
