"""Exports to the national construction-worker platform (全国建筑工人管理服务信息平台)."""
