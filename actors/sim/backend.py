"""bleak backend classes for the simulator: ``BleakClient(addr, backend=SimBleakClient,
sim_registry=registry)`` and ``BleakScanner(..., backend=SimBleakScanner, sim_registry=registry)``.

They implement bleak's backend interface (``BaseBleakClient``, ``BaseBleakScanner``) over a
:class:`~actors.sim.registry.SimRegistry`, so code above bleak cannot tell a simulated DE1
from a real one: same UUIDs, same bytes, same exceptions for a missing device or a refused
connection, unsolicited disconnects through ``disconnected_callback``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from actors.sim.registry import SimDevice, SimRegistry
from pyde1.sim.peripheral import GattError

ADVERTISING_INTERVAL = 0.1  # real seconds between simulated advertisements


def _registry(kwargs: dict[str, Any]) -> SimRegistry:
    registry = kwargs.get("sim_registry")
    if not isinstance(registry, SimRegistry):
        raise BleakError("the simulator backend needs sim_registry=<SimRegistry>")
    return registry


class SimBleakClient(BaseBleakClient):
    def __init__(self, address_or_ble_device: BLEDevice | str, *, disconnected_callback=None,
                 timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback,
                         timeout=timeout)
        self._registry = _registry(kwargs)
        self._device: SimDevice | None = None
        self._connected = False

    @property
    def name(self) -> str:
        device = self._registry.get(self.address)
        return device.model.name if device is not None else self.address

    @property
    def mtu_size(self) -> int:
        return 247

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = self._registry.get(self.address)
        if device is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        await asyncio.sleep(0)  # a connection is never instantaneous: let the loop turn
        device.accept(self)
        self._device = device
        self._connected = True
        self.services = _service_collection(device)

    async def disconnect(self) -> None:
        device, self._device = self._device, None
        self._connected = False
        if device is not None:
            device.detach(self)

    def _link_lost(self) -> None:
        """Called by the simulated device when the radio link drops."""
        self._device = None
        was_connected, self._connected = self._connected, False
        if was_connected and self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _live(self) -> SimDevice:
        if not self._connected or self._device is None:
            raise BleakError("Not connected")
        return self._device

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *,
                             use_cached: bool = False, **kwargs: Any) -> bytearray:
        try:
            return bytearray(await self._live().read(characteristic.uuid))
        except GattError as exc:
            raise BleakError(f"simulated GATT error: {exc}") from exc

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *,
                                   use_cached: bool = False, **kwargs: Any) -> bytearray:
        raise BleakError("the simulator has no descriptors")

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data, response: bool) -> None:
        try:
            await self._live().write(characteristic.uuid, bytes(data))
        except GattError as exc:
            raise BleakError(f"simulated GATT error: {exc}") from exc

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data) -> None:
        raise BleakError("the simulator has no descriptors")

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        if "notify" not in characteristic.properties:
            raise BleakError(f"{characteristic.uuid} does not notify")
        self._live().subscribe(characteristic.uuid, callback)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._live().unsubscribe(characteristic.uuid)


def _service_collection(device: SimDevice) -> BleakGATTServiceCollection:
    collection = BleakGATTServiceCollection()
    handle = 1
    for spec in device.model.services():
        service = BleakGATTService(None, handle, spec.uuid)
        collection.add_service(service)
        handle += 1
        for char in spec.characteristics:
            collection.add_characteristic(BleakGATTCharacteristic(
                None, handle, char.uuid, list(char.properties), lambda: 244, service))
            handle += 2
    return collection


class SimBleakScanner(BaseBleakScanner):
    """Sees every simulated peripheral that is not connected (connected ones stop advertising)."""

    def __init__(self, detection_callback=None, service_uuids=None, scanning_mode: str = "active",
                 **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._registry = _registry(kwargs)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.create_task(self._advertise(), name="pyde1-sim-adverts")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _advertise(self) -> None:
        while True:
            for device in self._registry.devices():
                model = device.model
                if device.connected or not self.is_allowed_uuid(list(model.advertised_services)):
                    continue
                adv = AdvertisementData(local_name=model.name, manufacturer_data={}, service_data={},
                                        service_uuids=list(model.advertised_services), tx_power=None,
                                        rssi=model.rssi, platform_data=())
                ble_device = self.create_or_update_device(model.address, model.address, model.name,
                                                          device, adv)
                self.call_detection_callbacks(ble_device, adv)
            await asyncio.sleep(ADVERTISING_INTERVAL)
